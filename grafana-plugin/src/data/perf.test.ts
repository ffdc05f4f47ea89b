import { MAX_MEASURES, measured } from './perf';

// jsdom's performance has no user timing: each test lends it recording stand-ins.
function withUserTiming(run: (timing: { mark: jest.Mock; measure: jest.Mock; clearMeasures: jest.Mock }) => void) {
  const timing = { mark: jest.fn(), measure: jest.fn(), clearMarks: jest.fn(), clearMeasures: jest.fn() };
  const saved = Object.fromEntries(Object.keys(timing).map((key) => [key, Reflect.get(performance, key)]));
  Object.assign(performance, timing);
  try {
    run(timing);
  } finally {
    Object.assign(performance, saved);
  }
}

describe('measured', () => {
  it('measures the work between start and end marks and returns its result', () => {
    withUserTiming(({ mark, measure }) => {
      expect(measured('flowlens:test', () => 42)).toBe(42);
      expect(mark.mock.calls).toEqual([['flowlens:test:start'], ['flowlens:test:end']]);
      expect(measure).toHaveBeenCalledWith('flowlens:test', 'flowlens:test:start', 'flowlens:test:end');
    });
  });

  it('clears the measures of a name past MAX_MEASURES', () => {
    withUserTiming(({ clearMeasures }) => {
      for (let index = 0; index <= MAX_MEASURES; index++) measured('flowlens:many', () => index);
      expect(clearMeasures).toHaveBeenCalledWith('flowlens:many');
    });
  });

  it('just runs the work without user timing', () => {
    expect(typeof Reflect.get(performance, 'mark')).not.toBe('function');
    expect(measured('flowlens:none', () => 'done')).toBe('done');
  });
});
