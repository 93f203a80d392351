/** A browser-like client over a real socket (fetch): keeps cookies and the page's CSRF token. */
export class SocketClient {
  cookies = new Map<string, string>();
  csrf = '';

  constructor(readonly base: string) {}

  private cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(method: string, path: string, opts: { body?: string; headers?: Record<string, string> } = {}) {
    const res = await fetch(this.base + path, {
      method,
      body: opts.body,
      redirect: 'manual',
      headers: { cookie: this.cookieHeader(), ...(opts.headers ?? {}) },
      signal: AbortSignal.timeout(20_000),
    });
    for (const c of res.headers.getSetCookie()) {
      const [kv] = c.split(';');
      const i = kv.indexOf('=');
      const value = kv.slice(i + 1);
      if (value === '' || /max-age=0/i.test(c)) this.cookies.delete(kv.slice(0, i));
      else this.cookies.set(kv.slice(0, i), value);
    }
    const body = await res.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(body);
    if (token) this.csrf = token[1];
    return { status: res.status, headers: res.headers, body };
  }

  get(path: string, headers: Record<string, string> = {}) {
    return this.request('GET', path, { headers });
  }

  post(path: string, form: Record<string, string>) {
    return this.request('POST', path, {
      body: new URLSearchParams({ _csrf: this.csrf, ...form }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }

  async signIn(login: string, password: string) {
    await this.get('/login');
    const res = await this.post('/login', { login, password });
    if (res.status !== 303) throw new Error(`sign-in as ${login} failed: ${res.status}`);
    // Sign-in starts a new session with a new CSRF secret: take the token from a page of it.
    await this.get('/logout');
  }
}
