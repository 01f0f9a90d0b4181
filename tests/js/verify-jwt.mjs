// Verifies a Latchkey access token the way a resource server in another stack would:
// jose fetches the app's JWKS over HTTP and checks signature, issuer, audience, expiry and the
// RFC 9068 header type (typ at+jwt).
// usage: node verify-jwt.mjs <jwt> <jwks-url> <issuer> <audience>
import { createRemoteJWKSet, jwtVerify } from 'jose';

const [token, jwksUrl, issuer, audience] = process.argv.slice(2);
const jwks = createRemoteJWKSet(new URL(jwksUrl));
const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer, audience, algorithms: ['ES256'], typ: 'at+jwt' });
console.log(JSON.stringify({ payload, protectedHeader }));
