/**
 * The validators arguments and outputs are checked with: compiled once per distinct schema text, formats
 * checked (core/schema-check, where the offline values are checked with the same compilers).
 */
export { validatorFor } from '../core/schema-check';
