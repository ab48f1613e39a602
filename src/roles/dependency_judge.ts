import { z } from 'zod';
import { checkJudged, offlineJudge, Relation, type Edge } from '../core/graph';
import { fnAsDef, JudgeTask } from './common';
import { defineRole, unless } from './spec';

/** Edges from a function to its candidates, judged in one request per function (batched). */
export const dependencyJudge = defineRole({
  name: 'dependency_judge',
  version: 1,
  system: `You judge dependencies between functions (tools). Given a function F and candidate functions, decide for each candidate U whether F's output is
(a) a precondition for calling U ("precondition"), (b) exactly an input of U ("input": it fills all of U's required parameters that are not user-given), or (c) part of U's inputs ("partial_input").
Only use what the schemas and descriptions support. For input/partial_input list which parameter of U is fed by which field of F's output.
Answer with JSON: {"edges": [{"to": "<candidate name>", "relation": "precondition"|"input"|"partial_input", "feeds": [{"param": "<U parameter>", "field": "<F output field>"}], "reason": "<short>"}]}. Leave out candidates with no dependency.`,
  input: JudgeTask,
  output: z.object({
    edges: z.array(
      z.object({
        to: z.string(),
        relation: Relation,
        feeds: z.array(z.object({ param: z.string(), field: z.string() })).default([]),
        reason: z.string().optional(),
      }),
    ),
  }),
  accept: (answer, input) => {
    const edges: Edge[] = answer.edges.map((e) => ({ from: input.function.name, ...e }));
    const bad = checkJudged(fnAsDef(input.function), input.candidates.map(fnAsDef), edges).rejected[0];
    return unless(bad && `edge to ${bad.edge.to} rejected: ${bad.reason}`, edges);
  },
  offline: (input) => offlineJudge(fnAsDef(input.function), input.candidates.map(fnAsDef)),
});
