// A PostgreSQL SCRAM-SHA-256 password verifier (RFC 5802, RFC 7677; PostgreSQL's scram_build_secret), computed
// here so `ALTER ROLE ... PASSWORD` gets the verifier and the plain password never reaches the server, its
// logs or a command line.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";

const ITERATIONS = 4096; // PostgreSQL's default scram_iterations

const hmac = (key: Buffer, text: string) => createHmac("sha256", key).update(text).digest();

/**
 * `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, base64. The password must be ASCII without
 * control characters, which SASLprep leaves as it is (cp3's passwords are base64url).
 */
export function scramVerifier(password: string, salt: Buffer = randomBytes(16), iterations = ITERATIONS): string {
  if (!/^[\x20-\x7e]+$/.test(password)) throw new Error("scramVerifier: the password must be printable ASCII (cp3 does no SASLprep, which would change other characters)");
  const salted = pbkdf2Sync(password, salt, iterations, 32, "sha256");
  const storedKey = createHash("sha256").update(hmac(salted, "Client Key")).digest();
  const serverKey = hmac(salted, "Server Key");
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}
