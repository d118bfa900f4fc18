// Public surface of the serialization layer; helpers such as prepare-for-encoding stay internal.
export type { Serializer } from './serializer';
export { SerializerRegistry, createSerializerRegistry, type AcceptList } from './serializer-registry';
export { createJsonSerializer, type JsonSerializerOptions } from './json-serializer';
export { createMsgpackSerializer } from './msgpack-serializer';
export { createYamlSerializer } from './yaml-serializer';
export { UnencodableValueError, type ValuePathSegment } from './unencodable-value-error';
export { MAX_DECODE_DEPTH, NestingTooDeepError } from './nesting-limit';
