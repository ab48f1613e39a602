import { stamp } from '../../src/cli/run';

// issue 23: run ids came as demo-20261207150542 and library-20261207-151347; every command now names a run
// <name>-yyyymmdd-hhmmss (UTC), `magnet run`, `magnet demo` and `magnet graph --config` alike
it('a run id time part is yyyymmdd-hhmmss in UTC', () => {
  expect(stamp(new Date('2026-12-07T15:05:42.999Z'))).toBe('20261207-150542');
  expect(stamp(new Date('2027-01-02T03:04:05+02:00'))).toBe('20270102-010405');
});
