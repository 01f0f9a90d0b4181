// Prints the TOTP code (RFC 6238: SHA-1, 6 digits, 30 s) of a base32 secret at a unix time, with
// npm otplib: an implementation independent of the server's (Otp.NET), for the MFA tests.
// Usage: node totp.mjs <base32-secret> <unix-seconds>
import { generate } from "otplib";

const [secret, epoch] = process.argv.slice(2);
if (!secret || !/^\d+$/.test(epoch ?? "")) {
  console.error("usage: node totp.mjs <base32-secret> <unix-seconds>");
  process.exit(2);
}
console.log(await generate({ secret, epoch: Number(epoch), algorithm: "sha1", digits: 6, period: 30 }));
