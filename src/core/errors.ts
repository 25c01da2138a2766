// Typed errors for bad input. Each names the field it rejects and the rule broken, so the webhook can
// deny with an exact reason and the extender can log one, without parsing message text.

/** Machine-readable rule names carried by every FieldError (stable: tests and callers match on them). */
export const Rule = {
  /** Not valid Kubernetes quantity notation, or not a number where one is expected. */
  notANumber: 'not-a-number',
  negative: 'negative',
  notAnInteger: 'not-an-integer',
  /** Outside the allowed interval (e.g. a fraction outside (0, 1), a group size below 1). */
  outOfRange: 'out-of-range',
  /** Larger than what can be represented or offered (e.g. memory above every device). */
  tooLarge: 'too-large',
  /** Two inputs that cannot both hold (fraction with whole GPUs, alias disagreeing with canonical). */
  conflict: 'conflict',
  /** One of a pair of inputs is present without the other (pod-group without group-size). */
  missingPair: 'missing-pair',
  /** A value Phalanx knows but does not support (gpu-fraction-num-devices other than 1). */
  unsupported: 'unsupported',
  /** A name that is not among the configured ones (topology level, policy). */
  unknownName: 'unknown-name',
  /** Structurally malformed (codec text, island lists, empty values). */
  malformed: 'malformed',
  /** A set that must cover every item exactly once does not (NVLink islands). */
  coverage: 'coverage',
} as const;

export type RuleName = (typeof Rule)[keyof typeof Rule];

/** Base of every input error: `field` locates the bad input, `rule` says which rule it broke. */
export class FieldError extends Error {
  readonly field: string;
  readonly rule: string;

  constructor(field: string, rule: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.field = field;
    this.rule = rule;
  }
}

/** A quantity (resource amount, fraction, count) that cannot be parsed or is out of bounds. */
export class QuantityError extends FieldError {}

/** A pod's GPU, gang or topology request is invalid or contradictory (core/pod-demand). */
export class DemandError extends FieldError {}

/** A Node object cannot be turned into a GPU inventory (core/inventory). */
export class InventoryError extends FieldError {}

/** The decision annotation phalanx.dev/gpu-devices cannot be encoded or decoded (core/assignment-codec). */
export class AssignmentCodecError extends FieldError {}
