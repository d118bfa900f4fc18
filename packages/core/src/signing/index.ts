export {
  MessageSigner,
  MIN_SIGNING_KEY_BYTES,
  SIGNATURE_HEADER,
  SIGNED_HEADERS,
  resolveSigning,
  signingInput,
  type SignatureProblem,
  type SignedProperties,
  type SigningOptions,
} from './message-signature';
