import { bindArguments } from '../../../src/task-arguments';

describe('binding Celery kwargs to handler parameters', () => {
  const params = ['x', 'y', 'z'];

  it('passes positional arguments through when there are no kwargs or no params', () => {
    expect(bindArguments('t', params, [1, 2], {})).toEqual([1, 2]);
    expect(bindArguments('t', undefined, [1], { y: 2 })).toEqual([1]);
  });

  it('places kwargs at their parameter positions, leaving gaps undefined for defaults', () => {
    expect(bindArguments('t', params, [1], { y: 2 })).toEqual([1, 2]);
    expect(bindArguments('t', params, [], { z: 3, x: 1 })).toEqual([1, undefined, 3]);
  });

  it('refuses unknown and duplicate keyword arguments like Python', () => {
    expect(() => bindArguments('tasks.add', params, [1], { q: 1 })).toThrow(
      new TypeError("tasks.add() got an unexpected keyword argument 'q' (its parameters: x, y, z)"),
    );
    expect(() => bindArguments('tasks.add', params, [1], { x: 2 })).toThrow("tasks.add() got multiple values for argument 'x'");
  });
});
