/**
 * The layer rules of src/ (docs/architecture.md explains them), checked by `npm run lint:deps`, part of
 * `npm test` and `npm run test:fast`. Type-only imports count like the others except where a rule says so:
 * a workflow may name an activity's type (its proxy is typed by them) but never import its code.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import loops make modules load half-initialised and tie rooms together; cut the loop.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment: 'core/ is the pure domain: it imports only core/ (and libraries without I/O).',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'core-no-io-libraries',
      severity: 'error',
      comment: 'core/ has no I/O: no Node built-ins that touch files, network, processes or the clock.',
      from: { path: '^src/core/' },
      to: {
        dependencyTypes: ['core'],
        path: '^(fs|node:fs|net|node:net|http|node:http|https|node:https|child_process|node:child_process|os|node:os)',
      },
    },
    {
      name: 'contracts-import-core-only',
      severity: 'error',
      comment:
        'contracts/ is the workflow surface shared by workflows and clients: it builds on core/ only ' +
        '(a type of the layers below may appear in a result type: types leave nothing in the bundle).',
      from: { path: '^src/contracts/' },
      to: { path: '^src/', pathNot: '^src/(core|contracts)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'contracts-below-everything',
      severity: 'error',
      comment: 'Not even a type of what runs the workflows (activities, workflows, llm, roles, client, cli).',
      from: { path: '^src/contracts/' },
      to: { path: '^src/(activities|workflows|llm|roles|cli|server|client|worker)' },
    },
    {
      name: 'workflows-import-core-and-contracts',
      severity: 'error',
      comment:
        'Workflow code runs in the deterministic sandbox: it imports core/, contracts/ and workflows/ only ' +
        '(types of activities are fine: they type the proxies).',
      from: { path: '^src/workflows/' },
      to: { path: '^src/', pathNot: '^src/(core|contracts|workflows)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'io-imports-core-only',
      severity: 'error',
      comment:
        'io/ is the bottom layer (files, paths, ledger): it imports only core/ and io/, so every other layer can ' +
        'use it without a loop; whatever binds to tools or roles (loading a pool) lives in their folders.',
      from: { path: '^src/io/' },
      to: { path: '^src/', pathNot: '^src/(core|io)/' },
    },
    {
      name: 'tools-below-llm-and-roles',
      severity: 'error',
      comment:
        'tools/ executes and simulates calls: it imports no llm/, roles/, activities/ or workflows/, so roles/ ' +
        'may use its validators without a loop. A pure helper both need goes into core/ (core/values.ts).',
      from: { path: '^src/tools/' },
      to: { path: '^src/(llm|roles|activities|workflows)/' },
    },
    {
      name: 'llm-below-tools-and-roles',
      severity: 'error',
      comment:
        'llm/ is the transport to providers (client, cache, pacer, batch): it knows no tools/, roles/, activities/ ' +
        'or workflows/; the offline backend, which executes the roles rule by rule, belongs in roles/.',
      from: { path: '^src/llm/' },
      to: { path: '^src/(tools|roles|activities|workflows)/' },
    },
    {
      name: 'nothing-imports-cli',
      severity: 'error',
      comment: 'cli/ is the outermost layer: only cli/ and bin/ use it.',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'services-below-activities',
      severity: 'error',
      comment:
        'llm/, tools/, io/, roles/ and export/ are what activities call: they import no activities or workflows.',
      from: { path: '^src/(llm|tools|io|roles|export|estimate|report)/' },
      to: { path: '^src/(activities|workflows)/' },
    },
    {
      name: 'only-the-worker-and-client-run-workflows',
      severity: 'error',
      comment:
        'Workflow code is loaded by the worker bundle and named by the client; other layers use contracts/.',
      from: { path: '^src/', pathNot: '^src/(workflows|worker\\.ts|cli/)' },
      to: { path: '^src/workflows/', dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
    exclude: { path: '^(dist|node_modules|test|bench)/' },
  },
};
