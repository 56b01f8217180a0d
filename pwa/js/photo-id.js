// The retry-safe photo record id: the same derivation as photo_id() in
// sdk/fieldsync/uploads.py, so a photo from the phone and from a script is one record.

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";
const LENGTH = 15;

function hex(bytes) {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Lower-case hex sha256 of a Blob, ArrayBuffer or typed array. */
export async function sha256Hex(data) {
  const buffer = data instanceof Blob ? await data.arrayBuffer() : data;
  return hex(await crypto.subtle.digest("SHA-256", buffer));
}

/** The record id (15 chars, [a-z0-9]) of the photo with content hash `sha256` in `team`. */
export async function photoId(team, sha256) {
  const text = `fieldsync.photo\u0000${team}\u0000${sha256.toLowerCase()}`;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  let number = BigInt(`0x${hex(digest.slice(0, 16))}`);
  let id = "";
  for (let i = 0; i < LENGTH; i += 1) {
    id += ALPHABET[Number(number % 36n)];
    number /= 36n;
  }
  return id;
}
