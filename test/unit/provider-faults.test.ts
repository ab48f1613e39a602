import { answerFault } from '../../src/llm/faults';
import { resetLimiter } from '../../src/llm/limiter';
import { completeJson } from '../../src/llm/request';
import { startFakeOpenAI, WIRE_FAULTS, type FakeServer, type WireFault } from '../fakes';
import {
  backTranslateCheck as check,
  backTranslatePrompt,
  failureOf as failure,
} from '../helpers/llm-answers';
import { fakeServerRole as role } from '../helpers/llm-role';

/**
 * Every way a provider's 200 can be no answer (issue 25 item 7), over real HTTP from a local server to the
 * real SDKs: a body cut, empty, not JSON or an HTML page, and a connection reset mid-body. Each is the
 * provider's fault and transient (LlmUnavailable, retryable, like a 5xx), never an unexpected error whose
 * attempts are capped, and never an answer kept in the cache.
 */
/** What the SDKs threw for each shape, for the record (printed once). */
const seen: string[] = [];
afterAll(() => console.log(`provider faults as classified:\n${seen.join('\n')}`));

// the OpenAI SDK (every OpenAI-compatible server); the Gemini provider classifies the same shapes in its own catch
describe.each([['openai', startFakeOpenAI]] as const)(
  '%s: a 200 that is no answer is transient',
  (kind, start) => {
    let server: FakeServer;
    beforeEach(async () => {
      resetLimiter();
      server = await start();
    });
    afterEach(async () => server.close());

    it.each(WIRE_FAULTS.map((w) => [w]))('%s: LlmUnavailable, retryable, not cached', async (shape) => {
      const answer = JSON.stringify({ query: 'Book me a flight to Lisbon for Friday, please.' });
      let first = true;
      server.setScript(() => {
        if (!first) return { content: answer };
        first = false;
        return { wire: shape as WireFault, content: answer };
      });
      const r = role(server, kind);
      const prompt = backTranslatePrompt(WIRE_FAULTS.indexOf(shape));
      const f = await failure(completeJson(r, prompt, check));
      seen.push(`  ${kind} ${shape}: ${f.type}: ${f.message}`);
      expect(f.type).toBe('LlmUnavailable');
      expect(f.nonRetryable).toBe(false);
      expect(server.log.map((e) => e.outcome)).toEqual(['wire']);
      // the next attempt asks again (nothing of the broken answer was kept) and gets the answer
      const ok = await completeJson(r, prompt, check);
      expect(ok.value.query).toContain('Lisbon');
      expect(server.log).toHaveLength(2);
    });

    it('a storm draw of a truncated 200 (Faults.rateTruncated) is transient too', async () => {
      server.setFaults({ rateTruncated: 1 });
      const f = await failure(completeJson(role(server, kind), backTranslatePrompt(), check));
      expect(f.type).toBe('LlmUnavailable');
      expect(server.log.map((e) => e.outcome)).toEqual(['truncated']);
    });
  },
);

describe('answerFault: what the SDKs throw, by shape', () => {
  it('classifies parse errors and cut connections, and leaves our own errors unexpected', () => {
    const cut = new TypeError('terminated', {
      cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
    });
    for (const e of [
      new SyntaxError('Unterminated string in JSON at position 812'),
      new SyntaxError('Unexpected end of JSON input'),
      cut,
      new TypeError("Cannot read properties of undefined (reading 'choices')"),
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      new Error('stream ended', {
        cause: Object.assign(new Error('x'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }),
      }),
    ]) {
      const f = answerFault('p', e);
      expect(f).toMatchObject({ transient: true, status: undefined });
    }
    expect(answerFault('p', cut)?.message).toBe(
      'p: connection cut before the answer was whole: terminated (other side closed) [UND_ERR_SOCKET]',
    );
    for (const e of [
      new Error('a bug'),
      new RangeError('Invalid array length'),
      new TypeError('x is not a function'),
    ])
      expect(answerFault('p', e)).toBeUndefined();
  });
});
