// The API's own endpoints, same origin, with the bearer token from POST /auth/login.
// The token is kept in sessionStorage: it survives a reload of this tab but no other tab or window
// sees it and it is gone when the tab closes. No cookie is ever set, so there is no CSRF surface.

const TOKEN_KEY = "inspect.token";
const USER_KEY = "inspect.user";

export class ApiError extends Error {
  constructor(status, problem) {
    const fields = (problem && problem.errors) || [];
    const detail = (problem && (problem.detail || problem.title)) || `HTTP ${status}`;
    const named = fields.map((e) => `${e.field}: ${e.message}`).join("; ");
    super(named ? `${detail} (${named})` : detail);
    this.status = status;
    this.problem = problem;
  }
}

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  get user() {
    const raw = sessionStorage.getItem(USER_KEY);
    return raw ? JSON.parse(raw) : null;
  },
  save(token, user) {
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(USER_KEY, JSON.stringify(user));
  },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(USER_KEY);
  },
};

let onUnauthorized = () => {};
export function whenUnauthorized(callback) { onUnauthorized = callback; }

function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export async function api(method, path, { params, body } = {}) {
  const headers = { Accept: "application/json" };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path + query(params), {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "omit",
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (response.status === 401 && path !== "/auth/login") {
    session.clear();
    onUnauthorized();
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const get = (path, params) => api("GET", path, { params });
export const post = (path, body) => api("POST", path, { body });

export async function login(email, password) {
  const answer = await post("/auth/login", { email, password });
  session.save(answer.access_token, answer.user);
  return answer.user;
}

// A short-lived presigned URL per photo; the same photo shown twice on a page is asked for once.
const photoUrls = new Map();
export function photoUrl(photoId) {
  if (!photoUrls.has(photoId)) {
    const pending = get(`/photos/${photoId}`).then((d) => d.url);
    pending.catch(() => photoUrls.delete(photoId));
    photoUrls.set(photoId, pending);
  }
  return photoUrls.get(photoId);
}

// Form versions are immutable: one download per version and page load gives every item's labels.
const formVersions = new Map();
export function formVersion(key, version) {
  const id = `${key}@${version}`;
  if (!formVersions.has(id)) formVersions.set(id, get(`/forms/${encodeURIComponent(key)}/versions/${version}`));
  return formVersions.get(id);
}

// An evidence photo: a slot from POST /uploads, the bytes straight to S3 with the presigned POST
// (the same one the phones use), then POST /uploads/{id}/verify, which reads what S3 holds.
// The S3 answer is opaque (no-cors: a multipart POST needs no CORS rules on the bucket); verify
// says whether the upload arrived and is a valid photo.
export async function uploadEvidence(actionId, file) {
  const slots = await post("/uploads", {
    purpose: "action_evidence", action_id: actionId, files: [{ content_type: file.type }],
  });
  const slot = slots.slots[0];
  const form = new FormData();
  for (const [name, value] of Object.entries(slot.fields)) form.append(name, value);
  form.append("file", file);
  await fetch(slot.url, { method: "POST", body: form, mode: "no-cors", credentials: "omit" });
  await post(`/uploads/${slot.photo_id}/verify`);
  return slot.photo_id;
}
