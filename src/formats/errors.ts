// The error every format writer throws for a value it cannot carry; emitters
// turn it into a diagnostic at the value's declaration.

/** A value that cannot be written safely (a newline in a description, a NUL, …). */
export class UnsafeValueError extends Error {}
