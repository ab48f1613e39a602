import { OpsConfig } from '../../src/core/ops';
import { addTrace, NO_TRACE, opRates } from '../../src/core/op-rates';

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

it('counts the Splits that could not be applied as drawn, and why', () => {
  const ops = OpsConfig.parse({});
  const base = { mergeBoundaries: 2, merges: 0, insertsShort: 0, insertsLong: 0 };
  let t = NO_TRACE;
  t = addTrace(t, { ...base, split: 'miss_func', splitWanted: 'miss_params' });
  t = addTrace(t, { ...base, split: 'none', splitWanted: 'miss_func' });
  t = addTrace(t, { ...base, split: 'miss_params', splitWanted: 'miss_params' });
  // records of earlier releases have no splitWanted: nothing is counted as unapplied for them
  t = addTrace(t, { ...base, split: 'none' });
  const rates = Object.fromEntries(opRates(t, ops).map((r) => [r.op, r]));
  expect(rates.split).toMatchObject({ realised: 0.5, basis: 4, unapplied: { count: 1 } });
  expect(rates.split_miss_func_share).toMatchObject({ realised: 0.5, basis: 2, unapplied: { count: 1 } });
  expect(rates.merge?.unapplied).toBeUndefined();
});

it('reports the provided-function share over miss_func splits when the config asks for it', () => {
  const base = { mergeBoundaries: 2, merges: 0, insertsShort: 0, insertsLong: 0 };
  let t = NO_TRACE;
  t = addTrace(t, { ...base, split: 'miss_func', providesFunction: true });
  t = addTrace(t, { ...base, split: 'miss_func' });
  t = addTrace(t, { ...base, split: 'miss_params' });
  const asked = Object.fromEntries(
    opRates(t, OpsConfig.parse({ provideFuncProb: 0.7 })).map((r) => [r.op, r]),
  );
  expect(asked.provide_func_share).toMatchObject({
    planned: 0.7,
    realised: 0.5,
    basis: 2,
    of: 'miss_func splits',
  });
  // not asked for and never happened (every run before the option): the list is what it was
  const runs = opRates(addTrace(NO_TRACE, { ...base, split: 'miss_func' }), OpsConfig.parse({}));
  expect(runs.map((r) => r.op)).toEqual(['merge', 'insert_long_share', 'split', 'split_miss_func_share']);
});
