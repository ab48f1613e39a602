import { OpsConfig } from '../src/core/ops';
import { addTrace, NO_TRACE, opRates } from '../src/core/op-rates';

/** Planned vs realised op rates: each over the chances the op really had. */
it('takes each rate over its own basis, and says when an op had no chance', () => {
  const ops = OpsConfig.parse({ mergeProb: 0.3, splitProb: 0.5, missFuncProb: 0.5, longInsertProb: 0.4 });
  let t = NO_TRACE;
  t = addTrace(t, { mergeBoundaries: 4, merges: 1, insertsShort: 1, insertsLong: 0, split: 'miss_func' });
  t = addTrace(t, { mergeBoundaries: 6, merges: 2, insertsShort: 0, insertsLong: 1, split: 'none' });
  t = addTrace(t, { mergeBoundaries: 0, merges: 0, insertsShort: 0, insertsLong: 0, split: 'miss_params' });
  const rates = Object.fromEntries(opRates(t, ops).map((r) => [r.op, r]));
  expect(rates.merge).toMatchObject({ planned: 0.3, realised: 0.3, basis: 10 });
  expect(rates.insert_long_share).toMatchObject({ planned: 0.4, realised: 0.5, basis: 2 });
  expect(rates.split).toMatchObject({ planned: 0.5, realised: 2 / 3, basis: 3 });
  expect(rates.split_miss_func_share).toMatchObject({ planned: 0.5, realised: 0.5, basis: 2 });
  // no conversation, no rate: undefined, not 0
  expect(opRates(NO_TRACE, ops).every((r) => r.realised === undefined && r.basis === 0)).toBe(true);
});
