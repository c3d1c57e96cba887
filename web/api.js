// roomcast's HTTP API from the player page's admin panels (admin.js, caster.js): one
// call with the login's user id + UserSig in the query (the server's admin check) and
// a JSON body; never throws.

// -> { ok, status, json, error, code }: `error` is the server's JSON "error" (or the
// answer's start, or the network's message); status 0 when nothing came back.
export async function apiCall(path, method, body, who) {
  const query = `identifier=${encodeURIComponent(who.user)}&usersig=${encodeURIComponent(who.usersig)}`;
  try {
    const r = await fetch(`${path}?${query}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
      cache: 'no-store',
    });
    const text = await r.text();
    let json = null;
    try {
      json = text ? JSON.parse(text) : {};
    } catch (e) {
      json = null;
    }
    if (r.ok) return { ok: true, status: r.status, json };
    const error = json && typeof json === 'object' ? json.error : text.slice(0, 200);
    return { ok: false, status: r.status, json, error: error ? String(error) : r.statusText, code: json?.code };
  } catch (e) {
    return { ok: false, status: 0, json: null, error: e.message };
  }
}
