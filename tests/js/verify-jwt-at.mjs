// Verifies a Latchkey access token against a JWKS document given as JSON, at a given time (the
// tests' fake clock), as a resource server that fetched the JWKS would: jose checks signature,
// issuer, audience, expiry, not-before and the RFC 9068 header type (typ at+jwt).
// usage: node verify-jwt-at.mjs <jwt> <jwks-json> <issuer> <audience> <unix-seconds>
import { createLocalJWKSet, jwtVerify } from 'jose';

const [token, jwksJson, issuer, audience, at] = process.argv.slice(2);
const jwks = createLocalJWKSet(JSON.parse(jwksJson));
const { payload, protectedHeader } = await jwtVerify(token, jwks, {
  issuer,
  audience,
  algorithms: ['ES256'],
  typ: 'at+jwt',
  currentDate: new Date(Number(at) * 1000),
});
console.log(JSON.stringify({ payload, protectedHeader }));
