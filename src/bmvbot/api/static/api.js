// The dashboard's HTTP client: login, bearer-token requests, and the event stream.
// The token lives in sessionStorage (this tab only, gone when the tab closes), never in a
// cookie or the URL. The stream is read with fetch so that it can carry the Authorization
// header (EventSource cannot).

const TOKEN_KEY = "bmvbot.token";
const EXPIRY_KEY = "bmvbot.token_expiry_ms";

export class ApiError extends Error {
  constructor(status, code, detail) {
    super(detail || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

let onUnauthorized = () => {};

/** Call `handler(message)` whenever the server refuses the token (401). */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

export function token() {
  const value = sessionStorage.getItem(TOKEN_KEY);
  const expiry = Number(sessionStorage.getItem(EXPIRY_KEY) || 0);
  if (!value || (expiry && Date.now() >= expiry)) return null;
  return value;
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(EXPIRY_KEY);
}

async function errorOf(response) {
  let code = "";
  let detail = "";
  try {
    const body = await response.json();
    code = body.error ?? "";
    detail = body.detail ?? "";
  } catch {
    detail = response.statusText;
  }
  return new ApiError(response.status, code, detail);
}

/** Log in; keep the token for this tab. Throws ApiError (401, 429 ...) on refusal. */
export async function login(username, password) {
  const response = await fetch("/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  if (!response.ok) throw await errorOf(response);
  const body = await response.json();
  sessionStorage.setItem(TOKEN_KEY, body.access_token);
  // renew a little before the server's expiry
  sessionStorage.setItem(EXPIRY_KEY, String(Date.now() + Math.max(5, body.expires_in - 5) * 1000));
  return body;
}

function headers(extra = {}) {
  const value = token();
  return value ? { ...extra, Authorization: `Bearer ${value}` } : extra;
}

/** Send a request to an /api/ route and return {status, body, headers}; ApiError when not 2xx. */
export async function request(path, { method = "GET", body, signal } = {}) {
  const init = { method, headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }), signal };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(path, init);
  if (response.status === 401) {
    const error = await errorOf(response);
    forgetToken();
    onUnauthorized(error.detail || "session expired; log in again");
    throw error;
  }
  if (!response.ok) throw await errorOf(response);
  return { status: response.status, body: await response.json(), headers: response.headers };
}

export async function getJson(path, signal) {
  return (await request(path, { signal })).body;
}

/** Return one server-sent event block as {type, id, data} (data parsed as JSON), or null. */
export function parseEvent(block) {
  const event = { type: "message", id: null, data: "" };
  const data = [];
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event.type = value;
    else if (field === "id") event.id = value;
    else if (field === "data") data.push(value);
  }
  if (!data.length) return null;
  event.data = JSON.parse(data.join("\n"));
  return event;
}

/**
 * Read /api/stream until it ends or `signal` aborts; call `onEvent({type, id, data})` for each
 * event. Returns the last event id seen (pass it back to resume after a reconnect).
 */
export async function readStream(signal, lastEventId, onEvent) {
  const extra = lastEventId ? { "Last-Event-ID": lastEventId } : {};
  const response = await fetch("/api/stream", { headers: headers(extra), signal });
  if (response.status === 401) {
    forgetToken();
    onUnauthorized("session expired; log in again");
    throw await errorOf(response);
  }
  if (!response.ok || !response.body) throw await errorOf(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let lastId = lastEventId;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replace(/\r\n?/g, "\n");
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const event = parseEvent(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (event !== null) {
        if (event.id) lastId = event.id;
        onEvent(event);
      }
      end = buffer.indexOf("\n\n");
    }
  }
  return lastId;
}
