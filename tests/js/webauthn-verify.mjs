// An independent WebAuthn verifier for the passkey tests: @simplewebauthn/server judges the same
// registration and assertion JSON, with the same expected challenge, origin and RP id, that the
// Latchkey server judged, so the tests can assert that both accept and refuse alike.
// usage: node webauthn-verify.mjs <cases.json>
//   cases: [{ name, kind: "registration"|"authentication", response, expectedChallenge,
//             expectedOrigin, expectedRPID, requireUserVerification,
//             credential?: { id, publicKey (base64url COSE), counter } }]
// prints: [{ name, verified, error }]
import { readFileSync } from 'node:fs';
import { verifyRegistrationResponse, verifyAuthenticationResponse } from '@simplewebauthn/server';

const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const bytes = (text) => new Uint8Array(Buffer.from(text, 'base64url'));
const results = [];
for (const c of cases) {
  const common = {
    response: c.response,
    expectedChallenge: c.expectedChallenge,
    expectedOrigin: c.expectedOrigin,
    expectedRPID: c.expectedRPID,
    requireUserVerification: c.requireUserVerification,
  };
  try {
    const { verified } = c.kind === 'registration'
      ? await verifyRegistrationResponse({ ...common, supportedAlgorithmIDs: [-7, -8, -257] })
      : await verifyAuthenticationResponse({
        ...common,
        credential: { id: c.credential.id, publicKey: bytes(c.credential.publicKey), counter: c.credential.counter },
      });
    results.push({ name: c.name, verified, error: verified ? null : 'signature not verified' });
  } catch (e) {
    results.push({ name: c.name, verified: false, error: String(e?.message ?? e) });
  }
}
console.log(JSON.stringify(results));
