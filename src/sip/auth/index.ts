export { DigestClient, withCredentials, type AuthorizationHeader, type DigestClientOptions, type DigestTarget } from './client.js';
export {
  DIGEST_ALGORITHMS,
  computeDigestResponse,
  computeHA1,
  digestAlgorithm,
  digestHash,
  formatNonceCount,
  type DigestAlgorithm,
  type DigestQop,
  type DigestResponseInput,
} from './digest.js';
export { AuthFailure, DigestParseError, type AuthFailureReason } from './errors.js';
export {
  formatAuthHeader,
  formatDigestChallenge,
  formatDigestCredentials,
  parseAuthHeader,
  parseDigestChallenges,
  parseDigestCredentials,
  type AuthChallenge,
  type DigestChallenge,
  type DigestCredentials,
} from './header.js';
export { DigestServer, type DigestServerOptions, type DigestUserStore, type DigestVerdict, type UserSecret, type VerifyFailure } from './server.js';
