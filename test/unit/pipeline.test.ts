import { PIPELINE, STAGES } from '../../src/core/pipeline';

test('the pipeline lists every stage once, in order, its passes in order', () => {
  expect(PIPELINE.map((s) => s.stage)).toEqual([...STAGES]);
  const passes = PIPELINE.map((s) => s.pass);
  expect(passes).toEqual([...passes].sort((a, b) => a - b));
});
