// Verifies a Latchkey access token the way a resource server in another stack would:
// jose fetches the app's JWKS over HTTP and checks signature, issuer, audience and expiry.
// usage: node verify-jwt.mjs <jwt> <jwks-url> <issuer> <audience>
import { createRemoteJWKSet, jwtVerify } from 'jose';

const [token, jwksUrl, issuer, audience] = process.argv.slice(2);
const jwks = createRemoteJWKSet(new URL(jwksUrl));
const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer, audience, algorithms: ['ES256'] });
console.log(JSON.stringify({ payload, protectedHeader }));
