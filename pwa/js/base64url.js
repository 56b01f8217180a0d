// Base64url (JWT parts, VAPID keys), padded or not, as the binary string atob() gives.

export function decodeBase64url(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  return atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
}
