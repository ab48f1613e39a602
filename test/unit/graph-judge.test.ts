import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildGraphOffline, checkJudged, GraphConfig, offlineJudge, type Edge } from '../../src/core/graph';
import { evaluateGraph, GraphReference, referenceProblems } from '../../src/core/graph-eval';
import type { FunctionDef, JsonSchemaT } from '../../src/core/pool';
import { examplePool } from '../helpers/pools';

const REFERENCE = path.join(__dirname, '..', '..', 'examples', 'graph-reference.json');
const reference = (): GraphReference =>
  GraphReference.parse(JSON.parse(readFileSync(REFERENCE, 'utf8')) as unknown);

type Props = Record<string, JsonSchemaT>;
/** A function doc as BFCL-style pools write them; `req` lists the required parameters (default: all). */
function fn(
  name: string,
  description: string,
  params: Props = {},
  output?: Props,
  req: string[] = Object.keys(params),
): FunctionDef {
  return {
    name,
    description,
    parameters: { type: 'object', properties: params, required: req },
    output: output && { type: 'object', properties: output },
    category: 'svc',
    source: { file: 'test', item: name },
  };
}
const str = (description = ''): JsonSchemaT => ({ type: 'string', description });
const int = (description = ''): JsonSchemaT => ({ type: 'integer', description });
const bool = (description = ''): JsonSchemaT => ({ type: 'boolean', description });

/** Judges v against all the others and returns its edges by target. */
function judge(v: FunctionDef, pool: readonly FunctionDef[]): Map<string, Edge> {
  const others = pool.filter((f) => f.name !== v.name);
  const { edges, rejected } = checkJudged(v, others, offlineJudge(v, others));
  expect(rejected).toEqual([]);
  return new Map(edges.map((e) => [e.to, e]));
}

describe('the offline judge on the example pool, against the hand-checked reference', () => {
  // The floor sits above the first offline judge (name matching alone: recall 0.934, precision 0.959,
  // 1 isolated function), so falling back to it fails this test.
  it('keeps recall, precision and isolated functions above the floor', () => {
    const g = buildGraphOffline(examplePool(), GraphConfig.parse({}));
    const ref = reference();
    expect(referenceProblems(g, ref)).toEqual([]);
    const r = evaluateGraph(g, ref);
    expect(r.recall).toBeGreaterThanOrEqual(0.95);
    expect(r.precision).toBeGreaterThanOrEqual(0.97);
    // lock_doors: no function of the pool needs the doors locked, none reports them (see the reference note)
    expect(r.isolated).toEqual(['lock_doors']);
    for (const e of g.edges) expect(e.reason).toEqual(expect.any(String));
  });
});

describe('the offline judge: generic evidence', () => {
  const login = fn(
    'authenticate_user',
    'Authenticate a user with username and password.',
    {
      username: str(),
      password: str(),
    },
    { authentication_status: bool('True if authenticated.') },
  );
  const status = fn(
    'svc_get_login_status',
    'Get the login status of the current user.',
    {},
    {
      login_status: bool(),
    },
  );
  const post = fn(
    'create_post',
    'Create a post for the authenticated user.',
    { content: str() },
    {
      id: int('ID of the posted post.'),
      content: str('Text of the post.'),
    },
  );
  const comment = fn(
    'comment_on_post',
    'Comment on a post.',
    { post_id: int('ID of the post.'), text: str() },
    {
      comment_status: str(),
    },
  );
  const deletePost = fn(
    'delete_post',
    'Delete a post.',
    { post_id: int() },
    { post_id: int(), deleted: bool() },
  );
  const logout = fn('log_out', 'End the session.', {}, { ok: bool() });
  const service = [login, status, post, comment, deletePost, logout];

  it('a login opens the session every other function of its service runs in', () => {
    const out = judge(login, service);
    for (const u of ['create_post', 'comment_on_post', 'delete_post', 'log_out']) {
      expect(out.get(u)).toMatchObject({ relation: 'precondition', feeds: [] });
      expect(out.get(u)?.reason).toContain('authenticated session');
    }
    // a function checking the login state precedes those that say they need it, and opens nothing
    expect(judge(status, service).get('create_post')?.reason).toContain('checks an authenticated session');
    expect(judge(status, service).has('comment_on_post')).toBe(false);
    // a login's parameters are credentials: no output feeds them
    const author = fn('get_author', 'Get the author of a post.', { post_id: int() }, { username: str() });
    expect(judge(author, [...service, author]).has('authenticate_user')).toBe(false);
  });

  it('matches an id by entity: post_id <- the id of the post create_post returns, never its text', () => {
    const e = judge(post, service).get('comment_on_post');
    expect(e?.reason).toContain('post_id is the id of the post');
    expect(e?.reason).not.toContain('content->');
  });

  it('matches an id to a parameter whose description names its kind: user_id -> receiver_id', () => {
    const who = fn('get_user_id', 'Get the id of a user.', { user: str() }, { user_id: str() });
    const send = fn('send_message', 'Send a message.', {
      receiver_id: str('User ID of the user to send to.'),
      message: str(),
    });
    const order = fn('get_order', 'Get an order.', { order_id: str('ID of the order.') });
    expect(judge(who, [who, send, order]).get('send_message')?.reason).toContain(
      "receiver_id's description asks for a user id",
    );
    expect(judge(who, [who, send, order]).has('get_order')).toBe(false);
  });

  it('feeds nothing from a function that deleted the thing', () => {
    expect(judge(deletePost, service).has('comment_on_post')).toBe(false);
  });

  it('changing directory comes before the file functions that work in the current directory', () => {
    const cd = fn(
      'cd',
      'Change the current working directory.',
      { folder: str() },
      { current_working_directory: str() },
    );
    const mv = fn('mv', 'Move a file within the current directory.', { source: str(), destination: str() });
    expect(judge(cd, [cd, mv]).get('mv')).toMatchObject({ relation: 'precondition' });
    expect(judge(mv, [cd, mv]).has('cd')).toBe(false);
  });

  it('a requirement in the description links the function that produces that state', () => {
    const brake = fn(
      'press_brake_pedal',
      'Press the brake pedal.',
      { pedal_position: { type: 'number' } },
      {
        brake_pedal_status: str(),
      },
    );
    const start = fn('start_engine', 'Start the engine. The brake pedal must be pressed.', {
      ignition_mode: str(),
    });
    const mkdir = fn('make_folder', 'Make a folder.', { folder: str() }, { folder: str() });
    const save = fn('save_note', 'Save a note in a folder. The folder must exist.', {
      folder_name: str(),
      note: str(),
    });
    const e = judge(brake, [brake, start]).get('start_engine');
    expect(e).toMatchObject({ relation: 'precondition' });
    expect(e?.reason).toContain('must be pressed');
    expect(judge(mkdir, [mkdir, save]).get('save_note')).toMatchObject({ relation: 'precondition' });
    // a state nobody requires is no edge
    expect(judge(start, [brake, start]).has('press_brake_pedal')).toBe(false);
  });

  it('securing something comes before starting something, even when the docs are silent', () => {
    const brake = fn('pressBrakePedal', 'Presses the brake pedal.', { pedalPosition: { type: 'number' } });
    const doors = fn('lockDoors', 'Locks the doors.', { unlock: bool() });
    const start = fn('startEngine', 'Starts the engine.', { ignitionMode: str() });
    const pool = [brake, doors, start];
    expect(judge(brake, pool).get('startEngine')?.reason).toContain('interlock');
    expect(judge(doors, pool).get('startEngine')?.relation).toBe('precondition');
    expect(judge(start, pool).size).toBe(0);
  });

  it('creating a thing comes before the functions that require it by name', () => {
    const touch = fn('touch', 'Create a new file in the current directory.', { file_name: str() });
    const cat = fn('cat', 'Display the contents of a file.', { file_name: str() });
    const mkdir = fn('mkdir', 'Create a new directory.', { dir_name: str() });
    const cd = fn('cd', 'Change the current working directory.', { folder: str() });
    const pool = [touch, cat, mkdir, cd];
    expect(judge(touch, pool).get('cat')?.reason).toBe('touch (touch) makes the file name that cat uses');
    expect(judge(mkdir, pool).get('cd')?.relation).toBe('precondition');
    expect(judge(mkdir, pool).has('cat')).toBe(false);
    expect(judge(cat, pool).has('touch')).toBe(false);
  });

  it("a calculator's lone result feeds the next calculation's generic number, nothing more specific", () => {
    const mean = fn(
      'mean',
      'Mean of a list of numbers.',
      { numbers: { type: 'array', items: { type: 'number' } } },
      {
        result: { type: 'number' },
      },
    );
    const round = fn(
      'round_number',
      'Round a number.',
      { number: { type: 'number' }, decimal_places: int() },
      {},
      ['number'],
    );
    const order = fn('buy', 'Buy at a price.', { price: { type: 'number' } });
    const stats = fn(
      'stats',
      'Min and max.',
      { numbers: { type: 'array' } },
      { result: { type: 'number' }, max: { type: 'number' } },
    );
    const pool = [mean, round, order, stats];
    expect(judge(mean, pool).get('round_number')?.reason).toContain(
      'a computed result feeds the number number',
    );
    expect(judge(mean, pool).has('buy')).toBe(false);
    expect(judge(stats, pool).has('round_number')).toBe(false);
  });

  it("a value the parameter's description asks for by the field's whole name", () => {
    const zip = fn('get_zipcode', 'Gets the zipcode of a city.', { city: str() }, { zipcode: str() });
    const dist = fn('estimate_distance', 'Distance between two cities.', {
      cityA: str('The zipcode of the first city.'),
      cityB: str('The zipcode of the second city.'),
    });
    const climate = fn('get_climate', 'Climate.', {}, { climate_mode: str() });
    const lights = fn('set_lights', 'Set the lights.', { mode: str('The mode of the headlights.') });
    expect(judge(zip, [zip, dist]).get('estimate_distance')?.reason).toContain(
      "cityA's description asks for the zipcode",
    );
    expect(judge(climate, [climate, lights]).has('set_lights')).toBe(false);
  });

  it('one entry of a listing names the thing a later call takes', () => {
    const ls = fn(
      'ls',
      'List the contents of the current directory.',
      {},
      {
        current_directory_content: { type: 'array', items: { type: 'string' } },
      },
    );
    const cat = fn('cat', 'Display a file.', { file_name: str() });
    const sum = fn('sum', 'Add numbers.', { a: { type: 'number' } });
    const e = judge(ls, [ls, cat, sum]).get('cat');
    expect(e).toMatchObject({ relation: 'precondition', feeds: [] });
    expect(e?.reason).toContain('file_name is one of the listed current_directory_content');
    expect(judge(ls, [ls, cat, sum]).has('sum')).toBe(false);
  });

  it('respects types and needs evidence for a head-word match', () => {
    const level = fn('get_level', 'Read the level.', {}, { level: str('Level name.') });
    const setLevel = fn('set_volume', 'Set the volume.', { level: int('Volume level 0-10.') });
    expect(judge(level, [level, setLevel]).has('set_volume')).toBe(false);

    const climate = fn('get_climate', 'Read the climate settings.', {}, { climate_mode: str() });
    const fan = fn('set_fan', 'Set the fan.', { mode: str('Fan mode.') });
    expect(judge(climate, [climate, fan]).has('set_fan')).toBe(false);

    const trip = fn('price_trip', 'Price a trip.', { trip: str() }, { total_cost: { type: 'number' } });
    const pay = fn('pay', 'Pay the total cost of a trip.', {
      cost: { type: 'number', description: 'Total to pay.' },
    });
    const e = judge(trip, [trip, pay]).get('pay');
    expect(e).toMatchObject({ relation: 'input', feeds: [{ param: 'cost', field: 'total_cost' }] });
    expect(e?.reason).toContain('head word cost');
  });

  it('does not feed optional parameters that are no identifier (a unit echoed back)', () => {
    const temp = fn(
      'set_climate',
      'Set the climate.',
      { temperature: { type: 'number' }, unit: str() },
      {
        temperature: { type: 'number' },
        unit: str(),
      },
      ['temperature'],
    );
    const read = fn('read_outside_temperature', 'Read the outside temperature.', { unit: str() }, {}, []);
    expect(judge(temp, [temp, read]).has('read_outside_temperature')).toBe(false);
  });

  it('a field of the elements of a listed array feeds a parameter: books[].book_id -> book_id', () => {
    const book = { type: 'object', properties: { book_id: str('ID of the book.'), title: str() } };
    const list = fn(
      'list_books',
      'List the books of the library.',
      {},
      { books: { type: 'array', items: book } },
    );
    const get = fn('get_book', 'Get the details of a book.', { book_id: str('ID of the book.') });
    const author = fn('get_author', 'Get an author.', { author_id: str('ID of the author.') });
    const rate = fn('rate_title', 'Rate a title.', { rating: int() });
    const pool = [list, get, author, rate];
    const out = judge(list, pool);
    expect(out.get('get_book')).toMatchObject({
      relation: 'input',
      feeds: [{ param: 'book_id', field: 'books[].book_id' }],
    });
    expect(out.get('get_book')?.reason).toContain('books[].book_id->book_id (same name book_id');
    // an element's other fields, and ids of other kinds, feed nothing
    expect(out.has('get_author')).toBe(false);
    expect(out.has('rate_title')).toBe(false);
    // a top-level field of the same name wins over a nested one
    const both = fn(
      'list_books_page',
      'List a page of books.',
      {},
      { books: { type: 'array', items: book }, book_id: str('The first book.') },
    );
    expect(judge(both, [both, get]).get('get_book')?.feeds).toEqual([{ param: 'book_id', field: 'book_id' }]);
    // an object's field (owner.user_id), and the elements of an array output ([].book_id)
    const owner = fn(
      'get_shelf',
      'Get a shelf.',
      {},
      { owner: { type: 'object', properties: { user_id: str() } } },
    );
    const user = fn('get_user', 'Get a user.', { user_id: str() });
    expect(judge(owner, [owner, user]).get('get_user')?.feeds).toEqual([
      { param: 'user_id', field: 'owner.user_id' },
    ]);
    const bare: FunctionDef = { ...list, name: 'list_all_books', output: { type: 'array', items: book } };
    expect(judge(bare, [bare, get]).get('get_book')?.feeds).toEqual([
      { param: 'book_id', field: '[].book_id' },
    ]);
  });
});

describe('checking judged edges (LLM or offline)', () => {
  const v = fn(
    'get_post',
    'Get a post.',
    { post_id: int() },
    { id: int(), content: str(), tags: { type: 'array', items: str() } },
  );
  const u = fn('comment', 'Comment on a post.', { post_id: int(), text: str() });
  const edge = (feeds: Edge['feeds']): Edge => ({
    from: v.name,
    to: u.name,
    relation: 'partial_input',
    feeds,
  });

  it('rejects fields the output does not have and types that clash, naming them', () => {
    expect(checkJudged(v, [u], [edge([{ param: 'post_id', field: 'post' }])]).rejected[0]?.reason).toBe(
      "get_post's output has no field post",
    );
    expect(checkJudged(v, [u], [edge([{ param: 'post_id', field: 'content' }])]).rejected[0]?.reason).toBe(
      'get_post.content is string, comment.post_id is number',
    );
    expect(checkJudged(v, [u], [edge([{ param: 'post_id', field: 'id' }])]).edges).toHaveLength(1);
    // a field inside a list of objects, however the judge spells the index
    const list = fn(
      'list_posts',
      'List posts.',
      {},
      {
        posts: { type: 'array', items: { type: 'object', properties: { id: int(), text: str() } } },
      },
    );
    const from = (field: string): Edge => ({
      from: list.name,
      to: u.name,
      relation: 'partial_input',
      feeds: [{ param: 'post_id', field }],
    });
    expect(checkJudged(list, [u], [from('posts[].id')]).edges).toHaveLength(1);
    expect(checkJudged(list, [u], [from('posts[0].id')]).edges).toHaveLength(1);
    expect(checkJudged(list, [u], [from('posts[].text')]).rejected[0]?.reason).toBe(
      'list_posts.posts[].text is string, comment.post_id is number',
    );
    expect(checkJudged(list, [u], [from('posts.id')]).edges).toHaveLength(1);
    expect(checkJudged(list, [u], [from('posts[].nope')]).rejected[0]?.reason).toBe(
      "list_posts's output has no field posts[].nope",
    );
    // an array output: its elements' fields, with or without the leading []
    const bare: FunctionDef = {
      ...list,
      output: { type: 'array', items: list.output?.properties?.posts?.items as JsonSchemaT },
    };
    expect(checkJudged(bare, [u], [from('[].id')]).edges).toHaveLength(1);
    expect(checkJudged(bare, [u], [from('id')]).edges).toHaveLength(1);
    expect(checkJudged(v, [u], [edge([{ param: 'nope', field: 'id' }])]).rejected[0]?.reason).toBe(
      'comment has no parameter nope',
    );
  });
});

describe('graph eval', () => {
  const nodes = ['a', 'b', 'c', 'd'].map((name) => ({ name, category: 'x' }));
  const e = (from: string, to: string): Edge => ({ from, to, relation: 'input', feeds: [] });
  const ref = GraphReference.parse({
    version: 1,
    edges: [
      { from: 'a', to: 'b', relation: 'input' },
      { from: 'b', to: 'c', relation: 'precondition' },
    ],
    plausible: [{ from: 'c', to: 'a' }],
  });

  it('counts recall on the required edges and precision on required and plausible ones', () => {
    const r = evaluateGraph({ nodes, edges: [e('a', 'b'), e('c', 'a'), e('b', 'a')] }, ref);
    expect(r).toMatchObject({ recall: 0.5, precision: 0.667, found: 1, relationAgrees: 1, isolated: ['d'] });
    expect(r.missed).toEqual([{ from: 'b', to: 'c', relation: 'precondition' }]);
    expect(r.implausible.map((x) => `${x.from}->${x.to}`)).toEqual(['b->a']);
    // direction matters
    expect(evaluateGraph({ nodes, edges: [e('b', 'a')] }, ref).recall).toBe(0);
  });

  it('names reference items that do not fit the graph', () => {
    const bad = GraphReference.parse({
      version: 1,
      edges: [
        { from: 'a', to: 'zz' },
        { from: 'a', to: 'zz' },
      ],
    });
    expect(referenceProblems({ nodes }, bad)).toEqual([
      'edges[0].to: zz is not a function of the graph',
      'edges[1].to: zz is not a function of the graph',
      'edges[1]: a -> zz is already edges[0]',
    ]);
  });
});
