import { describe, expect, it } from 'vitest';
import {
  AssignmentCodecError,
  DemandError,
  FieldError,
  InventoryError,
  QuantityError,
} from '../../src/core/errors.js';

describe('field errors', () => {
  it.each([DemandError, InventoryError, AssignmentCodecError, QuantityError])(
    '%o carries field, rule, message and its own name',
    (ErrorClass) => {
      const error = new ErrorClass(
        'phalanx.dev/gpu-fraction',
        'out-of-range',
        'annotation phalanx.dev/gpu-fraction: bad',
      );
      expect(error).toBeInstanceOf(Error);
      expect(error).toBeInstanceOf(FieldError);
      expect(error.name).toBe(ErrorClass.name);
      expect([error.field, error.rule, error.message]).toEqual([
        'phalanx.dev/gpu-fraction',
        'out-of-range',
        'annotation phalanx.dev/gpu-fraction: bad',
      ]);
    },
  );

  it('keeps error kinds apart', () => {
    expect(new DemandError('f', 'r', 'm')).not.toBeInstanceOf(InventoryError);
    expect(new QuantityError('f', 'r', 'm')).not.toBeInstanceOf(DemandError);
  });
});
