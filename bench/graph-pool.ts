import { createRng } from '../src/core/rng';

/**
 * Synthetic function pools for the graph bench, shaped like real service APIs: each category is a service
 * over a few entities (orders, tickets, devices...) with the usual CRUD, search, link and export functions,
 * a login and a login status. Parameter and output names repeat across functions (`order_id`, `owner_id`,
 * `status`, `file_path`), so the judge finds edges, and entity names repeat across categories, so a pool
 * judged across categories (`sameCategory: false`) shares words the way a real merged pool does.
 */

const ENTITIES = [
  'order',
  'invoice',
  'ticket',
  'project',
  'task',
  'device',
  'account',
  'booking',
  'message',
  'document',
  'playlist',
  'vehicle',
  'patient',
  'shipment',
  'contract',
  'camera',
  'sensor',
  'recipe',
  'course',
  'flight',
  'hotel',
  'card',
  'payment',
  'album',
  'server',
  'repository',
  'campaign',
  'lead',
  'report',
  'warehouse',
];
const DOMAINS = [
  'retail',
  'billing',
  'support',
  'planning',
  'fleet',
  'health',
  'media',
  'travel',
  'logistics',
  'finance',
  'education',
  'security',
  'cloud',
  'marketing',
  'kitchen',
  'energy',
];

type Schema = Record<string, unknown>;
const str = (description: string): Schema => ({ type: 'string', description });
const int = (description: string): Schema => ({ type: 'integer', description });
const num = (description: string): Schema => ({ type: 'number', description });
const bool = (description: string): Schema => ({ type: 'boolean', description });
const obj = (properties: Record<string, Schema>): Schema => ({ type: 'object', properties });

interface Tool {
  type: 'function';
  function: { name: string; description: string; parameters: Schema; output: Schema };
}

function tool(
  name: string,
  description: string,
  params: Record<string, Schema>,
  required: string[],
  output: Record<string, Schema>,
): Tool {
  return {
    type: 'function',
    function: {
      name,
      description,
      parameters: { type: 'object', properties: params, required },
      output: obj(output),
    },
  };
}

/** The twelve functions of one entity `e` of service `p` (`o`: another entity it links to). */
function entityTools(p: string, domain: string, e: string, o: string): Tool[] {
  const id = `${e}_id`;
  const name = `${e}_name`;
  const of = `the ${e} in the ${domain} service`;
  return [
    tool(
      `${p}_create_${e}`,
      `Create a new ${e} in the ${domain} service and return its id.`,
      { [name]: str(`Name of the new ${e}.`), notes: str('Free text notes.') },
      [name],
      {
        [id]: str(`Id of the created ${e}.`),
        [name]: str(`Name of the ${e}.`),
        created_at: str('Creation time.'),
      },
    ),
    tool(`${p}_get_${e}`, `Get the details of ${of}.`, { [id]: str(`Id of the ${e}.`) }, [id], {
      [id]: str(`Id of the ${e}.`),
      [name]: str(`Name of the ${e}.`),
      status: str('Current status.'),
      owner_id: str('Id of the owner.'),
    }),
    tool(
      `${p}_list_${e}s`,
      `List the ${e}s of an owner in the ${domain} service.`,
      { owner_id: str('Id of the owner.'), limit: int('Maximum number of results.') },
      [],
      {
        [`${e}s`]: {
          type: 'array',
          items: obj({ id: str(`Id of the ${e}.`), [name]: str(`Name of the ${e}.`) }),
        },
      },
    ),
    tool(
      `${p}_update_${e}`,
      `Update the name or status of ${of}. The ${e} must exist.`,
      { [id]: str(`Id of the ${e}.`), [name]: str('New name.'), status: str('New status.') },
      [id],
      { [id]: str(`Id of the ${e}.`), updated: bool('True when the update was applied.') },
    ),
    tool(`${p}_delete_${e}`, `Delete ${of}.`, { [id]: str(`Id of the ${e}.`) }, [id], {
      deleted: bool('True when deleted.'),
    }),
    tool(
      `${p}_search_${e}s`,
      `Search the ${e}s of the ${domain} service by text.`,
      { query: str('Words to search for.') },
      ['query'],
      { [`${e}_ids`]: { type: 'array', items: { type: 'string' } }, total: int('Number of matches.') },
    ),
    tool(
      `${p}_get_${e}_price`,
      `Quote the price of ${of}.`,
      { [id]: str(`Id of the ${e}.`), currency: str('Currency code.') },
      [id],
      { price: num('Price of the item.'), currency: str('Currency code of the price.') },
    ),
    tool(
      `${p}_set_${e}_owner`,
      `Give ${of} a new owner.`,
      { [id]: str(`Id of the ${e}.`), owner_id: str('Id of the new owner.') },
      [id, 'owner_id'],
      { [id]: str(`Id of the ${e}.`), owner_id: str('Id of the owner.') },
    ),
    tool(
      `${p}_link_${e}_to_${o}`,
      `Link ${of} to a ${o}.`,
      { [id]: str(`Id of the ${e}.`), [`${o}_id`]: str(`Id of the ${o}.`) },
      [id, `${o}_id`],
      { link_id: str('Id of the new link.') },
    ),
    tool(`${p}_get_${e}_status`, `Check the status of ${of}.`, { [id]: str(`Id of the ${e}.`) }, [id], {
      status: str('Current status.'),
      [`${e}_status`]: str(`Status of the ${e}.`),
    }),
    tool(
      `${p}_count_${e}s`,
      `Count the ${e}s an owner has in the ${domain} service.`,
      { owner_id: str('Id of the owner.') },
      ['owner_id'],
      { count: int(`Number of ${e}s.`) },
    ),
    tool(
      `${p}_export_${e}`,
      `Export ${of} to a file.`,
      { [id]: str(`Id of the ${e}.`), format: str('File format.') },
      [id],
      { file_path: str('Path of the written file.'), url: str('Download link.') },
    ),
  ];
}

/** The service-wide functions: a login, its status, an owner lookup and an upload. */
function serviceTools(p: string, domain: string): Tool[] {
  return [
    tool(
      `${p}_login`,
      `Log in to the ${domain} service.`,
      { username: str('User name.'), password: str('Password.') },
      ['username', 'password'],
      { session_token: str('Token of the session.') },
    ),
    tool(`${p}_get_login_status`, `Check whether the user is logged in to the ${domain} service.`, {}, [], {
      logged_in: bool('True when logged in.'),
    }),
    tool(
      `${p}_get_owner`,
      `Find an owner of the ${domain} service by user name. Requires an authenticated session.`,
      { username: str('User name of the owner.') },
      ['username'],
      { owner_id: str('Id of the owner.'), username: str('User name.') },
    ),
    tool(
      `${p}_upload_file`,
      `Upload a file to the ${domain} service.`,
      { file_path: str('Path of the file to upload.') },
      ['file_path'],
      { url: str('Link to the uploaded file.') },
    ),
  ];
}

/**
 * `functions` functions in categories of 100 (a service of 8 entities); returns one OpenAI tools list per
 * category, keyed by the category's file name. Deterministic for a seed.
 */
export function syntheticPool(functions: number, seed = 1): Map<string, Tool[]> {
  const rng = createRng(seed);
  const files = new Map<string, Tool[]>();
  for (let c = 0, left = functions; left > 0; c++) {
    const p = `s${c}`;
    const domain = rng.pick(DOMAINS);
    const entities = rng.shuffle(ENTITIES).slice(0, 8);
    const tools = [
      ...serviceTools(p, domain),
      ...entities.flatMap((e, i) => entityTools(p, domain, e, entities[(i + 1) % entities.length] as string)),
    ].slice(0, left);
    files.set(`${domain}-${c}`, tools);
    left -= tools.length;
  }
  return files;
}
