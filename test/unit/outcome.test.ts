import { errorInOutput } from '../../src/tools/outcome';

describe('errorInOutput: a tool that answers a failure in a normal result', () => {
  it.each([
    [{ error: 'Tweet 150 not found' }, 'Tweet 150 not found'],
    [{ error: { code: 404, message: 'no such booking' } }, 'no such booking'],
    [{ error: { code: 404 } }, '{"code":404}'],
    [{ error_message: 'User not authenticated' }, 'User not authenticated'],
    [{ isError: true, message: 'bad token' }, 'bad token'],
    [{ success: false, message: 'insufficient funds' }, 'insufficient funds'],
    [{ ok: false, reason: 'locked' }, 'locked'],
    [{ success: false }, 'the tool reported a failure'],
  ])('%j is a tool error: %s', (output, message) => {
    expect(errorInOutput(output)).toBe(message);
  });

  it.each([
    [{ id: 'a1', name: 'pen' }],
    [{ error: null, result: 3 }],
    [{ error: '', result: 3 }],
    [{ error: false }],
    // a job whose status is "failed" was looked up successfully
    [{ job: 'j1', status: 'failed' }],
    // an error field of a listed item is data
    [{ items: [{ id: 1, error: 'stale' }] }],
    [[{ error: 'x' }]],
    ['error'],
    [null],
    [{ success: true }],
  ])('%j is ok', (output) => {
    expect(errorInOutput(output)).toBeUndefined();
  });
});
