import { describe, expect, it } from 'vitest';
import { PyException, pyFloat, pyFloatRepr, pyInt, pyJsonDumps, pyRepr, pyStr } from './pyfmt.ts';

function raised(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof PyException) return `${e.pyType}: ${e.message}`;
    throw e;
  }
  return 'no exception';
}

describe('Python spellings', () => {
  it('repr of floats', () => {
    expect([8, 0.1, 100000, 1e-5, 1.5e16, 1e16 - 2, -0, 2.5].map(pyFloatRepr)).toEqual(['8.0', '0.1', '100000.0', '1e-05', '1.5e+16', '9999999999999998.0', '-0.0', '2.5']);
  });

  it('str and repr of values', () => {
    expect(pyStr(['a', 1, true, null, 1.5])).toBe("['a', 1, True, None, 1.5]");
    expect(pyRepr("it's")).toBe('"it\'s"');
    expect(pyRepr('line\nbreak')).toBe("'line\\nbreak'");
    expect(pyStr({ a: [1] })).toBe("{'a': [1]}");
  });

  it('int() and float() accept and refuse what Python does', () => {
    expect([pyInt('12'), pyInt(' -3 '), pyInt(7.9), pyInt(true), pyInt('1_000')]).toEqual([12, -3, 7, 1, 1000]);
    expect(raised(() => pyInt('abc'))).toBe("ValueError: invalid literal for int() with base 10: 'abc'");
    expect(raised(() => pyInt('1.5'))).toBe("ValueError: invalid literal for int() with base 10: '1.5'");
    expect(raised(() => pyInt(null))).toBe("TypeError: int() argument must be a string, a bytes-like object or a real number, not 'NoneType'");
    expect([pyFloat('1e3'), pyFloat(' 2.5'), pyFloat(3)]).toEqual([1000, 2.5, 3]);
    expect(raised(() => pyFloat('abc'))).toBe("ValueError: could not convert string to float: 'abc'");
    expect(raised(() => pyFloat({}))).toBe("TypeError: float() argument must be a string or a real number, not 'dict'");
  });

  it('json.dumps with default separators, as ComfyUI frames preview metadata', () => {
    expect(pyJsonDumps({ node_id: '3', parent_node_id: null, n: [1, 2] })).toBe('{"node_id": "3", "parent_node_id": null, "n": [1, 2]}');
    expect(pyJsonDumps('é')).toBe('"\\u00e9"');
  });
});
