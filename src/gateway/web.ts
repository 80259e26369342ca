/**
 * The web inbox: server-rendered HTML, one small script (the live transcript) served from the
 * gateway itself, no framework. People sign in with their own name and password; every form
 * carries a CSRF token bound to the session (or, before sign-in and on decision links, to a
 * nonce cookie) and must come from the gateway's own Origin. Each decision is made as the
 * signed-in person, signed with their key (see `decideAs`). Pages hold no secret: no token, no
 * key, no password.
 */
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { SwitchboardClientError, type InboxItem } from '../client/index.js';
import type { GateOutcome, GateView } from '../contracts/gates.js';
import type { TranscriptEntry } from '../contracts/sessions.js';
import { type GatewayEnv, type ShownWorkflow, showWorkflow, workflowIdSchema } from './api.js';
import { decideAs, type GatewayDeps, toProblem } from './deps.js';
import {
  checkCsrf,
  csrfToken,
  newNonce,
  openLink,
  PRE_COOKIE,
  sealSession,
  SESSION_COOKIE,
  SESSION_TTL_MS,
  sessionPerson,
} from './tokens.js';
import { readTranscript, transcriptFile } from './transcript.js';
import { OIDC_COOKIE, OIDC_FLOW_TTL_MS, OidcClient, OidcError } from './oidc.js';
import { attemptLimit, remoteAddress } from './ratelimit.js';
import { type Role, roleOf, type StoredUser } from './state.js';

type WebEnv = GatewayEnv & { Variables: { nonce: string } };

/** The signed-in person as pages see them. */
interface Who {
  person: string;
  csrf: string;
  role: Role;
}

/** HTML-escapes text for element content and quoted attributes. */
export function esc(v: string | number | boolean | null | undefined): string {
  return String(v ?? '').replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!,
  );
}

const CSS = `
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d2433;background:#f6f7f9}
header{background:#1d2433;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.2rem;align-items:center}
header a{color:#cfe0ff;text-decoration:none}header form{margin-left:auto}
main{max-width:1100px;margin:1.2rem auto;padding:0 1.2rem}
table{border-collapse:collapse;width:100%;background:#fff}th,td{padding:.45rem .6rem;border-bottom:1px solid #e3e6eb;text-align:left;vertical-align:top}
th{background:#eef1f5;font-weight:600}code,pre{font:13px ui-monospace,monospace}pre{background:#fff;border:1px solid #e3e6eb;padding:.8rem;overflow:auto;max-height:28rem}
.card{background:#fff;border:1px solid #e3e6eb;border-radius:6px;padding:1rem;margin:1rem 0}
.kind{display:inline-block;padding:.05rem .45rem;border-radius:4px;background:#e8efff;color:#2848a8;font-size:12px}
button{font:inherit;padding:.35rem .9rem;border-radius:4px;border:1px solid #8894a8;background:#fff;cursor:pointer}
button.approve{background:#1f7a3a;color:#fff;border-color:#1f7a3a}button.reject{background:#a8322d;color:#fff;border-color:#a8322d}
textarea,input[type=text],input[type=password]{font:inherit;width:100%;box-sizing:border-box;padding:.35rem}
.muted{color:#68728a}.err{color:#a8322d}.ok{color:#1f7a3a}ol#transcript li{margin:.15rem 0}
.forms{display:grid;grid-template-columns:repeat(3,1fr);gap:1rem}.narrow{max-width:24rem}
`;

/** The only script: follows `/workflows/{id}/events` from the last position the page shows. */
const JS = `
(function(){
  var list = document.getElementById('transcript');
  if (!list || !window.EventSource) return;
  var status = document.getElementById('stream-status');
  var last = Number(list.getAttribute('data-last') || 0);
  var es = new EventSource(list.getAttribute('data-src') + '?after=' + last);
  es.addEventListener('entry', function (ev) {
    var e = JSON.parse(ev.data);
    var li = document.createElement('li');
    li.value = Number(ev.lastEventId);
    li.setAttribute('data-pos', ev.lastEventId);
    li.setAttribute('data-id', e.id);
    li.textContent = '[' + e.role + '/' + e.kind + '] ' + e.text;
    list.appendChild(li);
    list.setAttribute('data-last', ev.lastEventId);
    if (status) status.textContent = 'live';
  });
  es.addEventListener('end', function (ev) {
    es.close();
    if (status) { status.textContent = 'ended: ' + JSON.parse(ev.data).workflowStatus; status.setAttribute('data-ended', '1'); }
  });
  es.onerror = function () { if (status && !status.getAttribute('data-ended')) status.textContent = 'reconnecting…'; };
})();
`;

function page(title: string, body: string, who?: { person: string; csrf: string }): string {
  const nav = who
    ? `<a href="/ui/inbox">Inbox</a><a href="/ui/sessions">Sessions</a><a href="/ui/monitors">Monitors</a>
       <form method="post" action="/ui/logout"><input type="hidden" name="_csrf" value="${esc(who.csrf)}"><span class="muted">${esc(who.person)}</span> <button>Sign out</button></form>`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)} · Switchboard</title><link rel="stylesheet" href="/ui/app.css"></head>
<body><header><strong>Switchboard</strong>${nav}</header><main>${body}</main><script src="/ui/app.js"></script></body></html>`;
}

/** The page's headers: scripts and styles from the gateway only, no framing. */
function html(c: Context, status: number, text: string): Response {
  return c.html(text, status as 200, {
    'Content-Security-Policy':
      "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  });
}

function when(iso?: string): string {
  return iso
    ? `<time datetime="${esc(iso)}">${esc(iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</time>`
    : '<span class="muted">–</span>';
}

export function mountWeb(app: Hono<GatewayEnv>, deps: GatewayDeps): void {
  const web = app as unknown as Hono<WebEnv>;
  const secure = deps.origins[0]?.startsWith('https:') ?? false;
  const cookieOpts = () => ({
    httpOnly: true,
    sameSite: 'Strict' as const,
    path: '/',
    secure: deps.origins[0]?.startsWith('https:') ?? secure,
  });
  const limit = bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.text('request too large', 413) });

  /** The nonce forms on this page are bound to: the session's, else a pre-sign-in cookie (set now). */
  const preNonce = (c: Context): string => {
    const have = getCookie(c, PRE_COOKIE);
    if (have && /^[A-Za-z0-9_-]{16,64}$/.test(have)) return have;
    const n = newNonce();
    setCookie(c, PRE_COOKIE, n, { ...cookieOpts(), maxAge: 3600 });
    return n;
  };

  /** A signed-in person, or a redirect to sign-in. */
  const signedIn: MiddlewareHandler<WebEnv> = async (c, next) => {
    // The person is read on each request: a role change, a removal or a password reset takes effect at once.
    const signed = sessionPerson(deps.signer, getCookie(c, SESSION_COOKIE), (n) => deps.users.get(n));
    const s = signed?.session;
    const user = signed?.user;
    if (!s || !user) {
      if (c.req.method !== 'GET')
        return html(
          c,
          401,
          page('Sign in', '<p class="err">Your session has ended. <a href="/ui/login">Sign in</a> again.</p>'),
        );
      return c.redirect(`/ui/login?next=${encodeURIComponent(c.req.path)}`, 303);
    }
    c.set('person', user.name);
    c.set('role', roleOf(user));
    c.set('nonce', s.n);
    if (c.get('role') === 'viewer' && c.req.method !== 'GET' && c.req.path !== '/ui/logout') {
      deps.audit.write({
        event: 'viewer.refused',
        who: user.name,
        detail: `${c.req.method} ${c.req.path}`,
        ip: remoteAddress(c),
      });
      return html(
        c,
        403,
        page(
          'Refused',
          `<p class="err">${esc(user.name)} is a viewer: reading only, no decisions or changes.</p>`,
          who(c),
        ),
      );
    }
    return next();
  };

  /**
   * Every form post: its Origin (or, without one, its Referer) must be the gateway's own, and its
   * `_csrf` must be the token of the nonce this browser holds. Refusals are audited.
   */
  const checkForm = async (
    c: Context<WebEnv>,
    nonce: string | undefined,
  ): Promise<Record<string, string> | Response> => {
    const origin = c.req.header('origin') ?? refererOrigin(c.req.header('referer'));
    const form = await c.req.parseBody<Record<string, string | File>>();
    const fields = Object.fromEntries(Object.entries(form).filter(([, v]) => typeof v === 'string')) as Record<
      string,
      string
    >;
    const why =
      !origin || !deps.origins.includes(origin)
        ? `origin ${origin ?? '(none)'} is not this gateway`
        : !checkCsrf(deps.signer, nonce, fields._csrf)
          ? 'CSRF token missing or wrong'
          : undefined;
    if (why) {
      deps.audit.write({
        event: 'csrf.refused',
        who: c.get('person'),
        detail: `${c.req.method} ${c.req.path}: ${why}`,
      });
      return html(c, 403, page('Refused', `<p class="err">Refused: ${esc(why)}. Reload the page and try again.</p>`));
    }
    return fields;
  };
  const who = (c: Context<WebEnv>): Who => ({
    person: c.get('person'),
    csrf: csrfToken(deps.signer, c.get('nonce')),
    role: c.get('role'),
  });
  /** A 429 page that says why; the limiter has set Retry-After. */
  const tooMany = (c: Context, message: string) =>
    html(c, 429, page('Too many attempts', `<p class="err">${esc(message)}</p>`));
  const formName = async (c: Context) => {
    const f = await c.req.parseBody().catch((): Record<string, string | File> => ({}));
    return typeof f.name === 'string' ? f.name.slice(0, 100) : '';
  };
  const signInLimit = attemptLimit('sign-in', deps.rateLimits, deps.audit, formName, tooMany);
  // A link's attempts count against the person it decides as (a tampered one against nobody in particular).
  const linkLimit = attemptLimit(
    'decision-link',
    deps.rateLimits,
    deps.audit,
    async (c) => openLink(deps.signer, c.req.param('token') ?? '').claims?.decider ?? '',
    tooMany,
  );
  // The OIDC callback has no name to guess at (the provider authenticates): per address only.
  const oidcLimit = attemptLimit('oidc sign-in', deps.rateLimits, deps.audit, undefined, tooMany);
  /** Signs a person in on this browser and sends them on (shared by password and OIDC sign-in). */
  const startSession = (c: Context, person: StoredUser, how: string) => {
    const { value } = sealSession(deps.signer, person);
    setCookie(c, SESSION_COOKIE, value, { ...cookieOpts(), maxAge: Math.floor(SESSION_TTL_MS / 1000) });
    deleteCookie(c, PRE_COOKIE, { path: '/' });
    deps.audit.write({ event: 'signin', who: person.name, detail: how, ip: remoteAddress(c) });
  };
  const failure = (c: Context<WebEnv>, err: unknown, back?: string) => {
    const p = toProblem(err);
    return html(
      c,
      p.status,
      page(
        'Refused',
        `<p class="err">${esc(p.message)}</p>${back ? `<p><a href="${esc(back)}">Back</a></p>` : ''}`,
        who(c),
      ),
    );
  };

  web.get('/', (c) => c.redirect('/ui/inbox', 303));
  web.get('/ui/app.js', (c) =>
    c.body(JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'max-age=300' }),
  );
  web.get('/ui/app.css', (c) =>
    c.body(CSS, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'max-age=300' }),
  );

  // ---- sign-in ----
  web.get('/ui/login', (c) => {
    const nonce = preNonce(c);
    const next = safeNext(c.req.query('next'));
    return html(
      c,
      200,
      page(
        'Sign in',
        `<div class="card narrow"><h2>Sign in</h2>
        <form method="post" action="/ui/login"><input type="hidden" name="_csrf" value="${esc(csrfToken(deps.signer, nonce))}"><input type="hidden" name="next" value="${esc(next)}">
        <p><label>Name<br><input type="text" name="name" autocomplete="username" required></label></p>
        <p><label>Password<br><input type="password" name="password" autocomplete="current-password" required></label></p>
        <p><button class="approve">Sign in</button></p></form>
        ${deps.oidc ? `<p class="muted">or</p><p><a id="oidc" href="/ui/oidc/start?next=${esc(encodeURIComponent(next))}">Sign in with ${esc(deps.oidc.label)}</a></p>` : ''}</div>`,
      ),
    );
  });
  web.post('/ui/login', limit, signInLimit, async (c) => {
    const f = await checkForm(c, getCookie(c, PRE_COOKIE));
    if (f instanceof Response) return f;
    const user = f.name && f.password ? await deps.users.verify(f.name, f.password) : undefined;
    if (!user) {
      deps.audit.write({
        event: 'signin.refused',
        who: f.name?.slice(0, 100),
        detail: 'wrong name or password',
        ip: remoteAddress(c),
      });
      return html(
        c,
        401,
        page('Sign in', '<p class="err">Wrong name or password.</p><p><a href="/ui/login">Try again</a></p>'),
      );
    }
    startSession(c, user, 'password');
    return c.redirect(safeNext(f.next), 303);
  });

  // ---- sign-in through an OIDC provider (when configured) ----
  web.get('/ui/oidc/start', async (c) => {
    if (!deps.oidc) return html(c, 404, page('Sign in', '<p class="err">No OIDC provider is configured.</p>'));
    try {
      const { url, cookie } = await deps.oidc.begin(deps.signer, safeNext(c.req.query('next')));
      // Lax, not Strict: the provider sends the browser back with a cross-site redirect.
      setCookie(c, OIDC_COOKIE, cookie, {
        ...cookieOpts(),
        sameSite: 'Lax',
        path: '/ui/oidc',
        maxAge: Math.floor(OIDC_FLOW_TTL_MS / 1000),
      });
      return c.redirect(url, 302);
    } catch (err) {
      console.error('gateway: OIDC provider unavailable:', err instanceof Error ? err.message : err);
      return html(
        c,
        502,
        page(
          'Sign in',
          '<p class="err">The sign-in provider cannot be reached. Try again, or sign in with your password.</p>',
        ),
      );
    }
  });
  web.get('/ui/oidc/callback', oidcLimit, async (c) => {
    if (!deps.oidc) return html(c, 404, page('Sign in', '<p class="err">No OIDC provider is configured.</p>'));
    const refuse = (status: 401 | 403, why: string, sub?: string) => {
      deps.audit.write({
        event: 'signin.refused',
        detail: `oidc: ${why}${sub ? ` (subject ${sub.slice(0, 255)})` : ''}`,
        ip: remoteAddress(c),
      });
      return html(
        c,
        status,
        page('Sign in', `<p class="err">Sign-in refused: ${esc(why)}.</p><p><a href="/ui/login">Try again</a></p>`),
      );
    };
    const flow = OidcClient.flow(deps.signer, getCookie(c, OIDC_COOKIE));
    // One use: the flow cookie goes whatever happens next.
    deleteCookie(c, OIDC_COOKIE, { path: '/ui/oidc' });
    if (!flow) return refuse(401, 'this sign-in was not started here, or took longer than 10 minutes');
    const error = c.req.query('error');
    if (error) return refuse(401, `the provider answered ${error.slice(0, 100)}`);
    let sub: string;
    try {
      ({ sub } = await deps.oidc.finish(flow, { code: c.req.query('code'), state: c.req.query('state') }));
    } catch (err) {
      if (err instanceof OidcError) return refuse(401, err.message);
      // The provider did not answer (network, timeout): nothing was proven either way.
      console.error('gateway: OIDC token exchange failed:', err instanceof Error ? err.message : err);
      deps.audit.write({
        event: 'signin.failed',
        detail: 'oidc: the provider could not be reached',
        ip: remoteAddress(c),
      });
      return html(
        c,
        502,
        page(
          'Sign in',
          '<p class="err">The sign-in provider cannot be reached. Try again, or sign in with your password.</p>',
        ),
      );
    }
    const user = deps.users.byOidcSubject(sub);
    if (!user) return refuse(403, 'no Switchboard person is set up for this account', sub);
    startSession(c, user, `oidc ${sub.slice(0, 255)}`);
    // A page, not a redirect: after the provider's cross-site redirect, browsers would not send
    // the Strict session cookie on a redirect chain that began on another site.
    const next = safeNext(flow.next);
    return c.html(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${esc(next)}"><title>Signed in · Switchboard</title></head><body><p>Signed in as ${esc(user.name)}. <a href="${esc(next)}">Continue</a></p></body></html>`,
      200,
      { 'Content-Security-Policy': "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'" },
    );
  });
  web.post('/ui/logout', limit, signedIn, async (c) => {
    const f = await checkForm(c, c.get('nonce'));
    if (f instanceof Response) return f;
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.redirect('/ui/login', 303);
  });

  // ---- inbox ----
  web.get('/ui/inbox', signedIn, async (c) => {
    const t0 = performance.now();
    const items = await deps.sb.gates.inbox({ limit: 1000 });
    const t1 = performance.now();
    const text = page('Inbox', inboxTable(items, c.get('person')), who(c));
    // Where the time goes (the visibility query or the page), for the benchmark and browsers' dev tools.
    c.header(
      'Server-Timing',
      `visibility;dur=${(t1 - t0).toFixed(1)}, render;dur=${(performance.now() - t1).toFixed(1)}`,
    );
    return html(c, 200, text);
  });

  // ---- gates ----
  web.get('/ui/gates/:id', signedIn, async (c) => {
    const workflowId = c.req.param('id');
    try {
      workflowIdSchema.parse(workflowId);
      const view = await deps.sb.gates.show(workflowId);
      return html(c, 200, page(`Gate ${workflowId}`, gatePage(workflowId, view, who(c)), who(c)));
    } catch (err) {
      return failure(
        c,
        err instanceof SwitchboardClientError
          ? err
          : new SwitchboardClientError('not_found', `no gate for ${workflowId}`),
        '/ui/inbox',
      );
    }
  });
  web.post('/ui/gates/:id/decide', limit, signedIn, async (c) => {
    const workflowId = c.req.param('id');
    const f = await checkForm(c, c.get('nonce'));
    if (f instanceof Response) return f;
    try {
      const decision =
        f.decision === 'approve_with_edits'
          ? 'approve_with_edits'
          : f.decision === 'reject'
            ? 'reject'
            : f.decision === 'approve'
              ? 'approve'
              : undefined;
      if (!decision) throw new SwitchboardClientError('invalid_input', 'choose approve, approve with edits or reject');
      const edits =
        decision === 'approve_with_edits'
          ? (f.edits ?? '')
              .split('\n')
              .map((l) => l.trim())
              .filter(Boolean)
          : undefined;
      if (decision === 'approve_with_edits' && !edits?.length)
        throw new SwitchboardClientError('invalid_input', 'approve with edits needs at least one edit (one per line)');
      if (decision === 'reject' && !f.reason?.trim())
        throw new SwitchboardClientError('invalid_input', 'a rejection needs a reason');
      const outcome = await decideAs(deps, c.get('person'), workflowId, {
        decision,
        edits,
        reason: decision === 'reject' ? f.reason : undefined,
        comment: f.comment?.trim() || undefined,
        requestId: f.requestId || undefined,
        digest: f.digest || undefined,
      });
      return html(c, 200, page('Decided', decidedPage(workflowId, outcome), who(c)));
    } catch (err) {
      return failure(c, err, `/ui/gates/${encodeURIComponent(workflowId)}`);
    }
  });

  // ---- sessions and research runs: live transcript ----
  web.get('/ui/sessions', signedIn, async (c) => {
    const rows = await deps.sb.sessions.list({ limit: 200 });
    const research = await deps.sb.research.list({ limit: 200 });
    const body = `<h2>Sessions and research</h2><table><tr><th>Workflow</th><th>Provider</th><th>Status</th><th>Started</th></tr>
      ${[
        ...rows.map((r) => ({ id: r.workflowId, p: r.provider, s: r.status ?? r.workflowStatus, t: r.startTime })),
        ...research.map((r) => ({
          id: r.workflowId,
          p: 'webagent (research)',
          s: r.switchboardStatus ?? r.status,
          t: r.startTime,
        })),
      ]
        .sort((a, b) => b.t.localeCompare(a.t))
        .map(
          (r) =>
            `<tr><td><a href="/ui/sessions/${encodeURIComponent(r.id)}">${esc(r.id)}</a></td><td>${esc(r.p)}</td><td>${esc(r.s)}</td><td>${when(r.t)}</td></tr>`,
        )
        .join('')}</table>`;
    return html(c, 200, page('Sessions', body, who(c)));
  });
  web.get('/ui/sessions/:id', signedIn, async (c) => {
    const workflowId = c.req.param('id');
    try {
      workflowIdSchema.parse(workflowId);
      const shown = await showWorkflow(deps, workflowId);
      const desc = await deps.sb.describe(workflowId);
      const chain = desc.raw.workflowExecutionInfo?.firstRunId || desc.runId;
      const entries = await readTranscript(transcriptFile(deps.artifactDir, workflowId, chain));
      return html(c, 200, page(`Session ${workflowId}`, sessionPage(workflowId, shown, entries, who(c)), who(c)));
    } catch (err) {
      return failure(c, err, '/ui/sessions');
    }
  });
  web.post('/ui/sessions/:id/answer', limit, signedIn, async (c) => {
    const workflowId = c.req.param('id');
    const f = await checkForm(c, c.get('nonce'));
    if (f instanceof Response) return f;
    try {
      await deps.sb.sessions.answerInput(workflowId, f.requestId ?? '', f.response ?? '');
      return c.redirect(`/ui/sessions/${encodeURIComponent(workflowId)}`, 303);
    } catch (err) {
      return failure(c, err, `/ui/sessions/${encodeURIComponent(workflowId)}`);
    }
  });

  // ---- monitors ----
  web.get('/ui/monitors', signedIn, async (c) => {
    const rows = await deps.sb.monitors.list({});
    const body = `<h2>Monitors</h2><table><tr><th>Monitor</th><th>Status</th><th>Waiting on a person</th><th>Started</th></tr>
      ${rows.map((r) => `<tr><td><a href="/ui/monitors/${encodeURIComponent(r.workflowId)}">${esc(r.workflowId)}</a></td><td>${esc(r.status ?? r.workflowStatus)}</td><td>${r.awaitingHuman ? 'yes' : ''}</td><td>${when(r.startTime)}</td></tr>`).join('')}</table>`;
    return html(c, 200, page('Monitors', body, who(c)));
  });
  web.get('/ui/monitors/:id', signedIn, async (c) => {
    const workflowId = c.req.param('id');
    try {
      const st = await deps.sb.monitors.show(workflowId);
      const gate = await deps.sb.gates.show(workflowId).catch(() => undefined);
      const w = who(c);
      const hidden = `<input type="hidden" name="_csrf" value="${esc(w.csrf)}">`;
      const body = `<h2>Monitor ${esc(workflowId)}</h2><div class="card"><table>
        <tr><th>Status</th><td>${esc(st.status)}${st.pauseReason ? ` — ${esc(st.pauseReason)}` : ''}</td></tr>
        <tr><th>Intent</th><td>${esc(st.intent)}</td></tr>
        <tr><th>Platform monitor</th><td><code>${esc(st.monitorId)}</code></td></tr>
        <tr><th>Snapshots seen</th><td>${esc(st.snapshotsSeen)} (latest <code>${esc(st.lastSnapshotId ?? '–')}</code> ${when(st.lastSnapshotAt)})</td></tr>
        <tr><th>Polls</th><td>${esc(st.polls)}, last ${when(st.lastPolledAt)}</td></tr>
        <tr><th>Clarifications answered</th><td>${esc(st.answered.join(', ') || '–')}</td></tr>
        ${gate?.open ? `<tr><th>Waiting on a person</th><td><a href="/ui/gates/${encodeURIComponent(workflowId)}">${esc(gate.subject)}</a></td></tr>` : ''}
        </table></div>
        ${
          w.role === 'viewer'
            ? ''
            : `<div class="forms"><form method="post" action="/ui/monitors/${encodeURIComponent(workflowId)}/pause">${hidden}<p><input type="text" name="reason" placeholder="reason (optional)"></p><button>Pause</button></form>
        <form method="post" action="/ui/monitors/${encodeURIComponent(workflowId)}/resume">${hidden}<p>&nbsp;</p><button>Resume</button></form></div>`
        }
        <p class="muted">Snapshot contents and deliveries stay on the platform and in the outbox (<code>switchboard outbox list</code>).</p>`;
      return html(c, 200, page(`Monitor ${workflowId}`, body, w));
    } catch (err) {
      return failure(c, err, '/ui/monitors');
    }
  });
  web.post('/ui/monitors/:id/:op{pause|resume}', limit, signedIn, async (c) => {
    const workflowId = c.req.param('id');
    const f = await checkForm(c, c.get('nonce'));
    if (f instanceof Response) return f;
    try {
      if (c.req.param('op') === 'pause')
        await deps.sb.monitors.pause(workflowId, f.reason?.trim() ? { reason: f.reason.trim() } : {});
      else await deps.sb.monitors.resume(workflowId);
      return c.redirect(`/ui/monitors/${encodeURIComponent(workflowId)}`, 303);
    } catch (err) {
      return failure(c, err, `/ui/monitors/${encodeURIComponent(workflowId)}`);
    }
  });

  // ---- one-time decision links ----
  web.get('/ui/l/:token', linkLimit, async (c) => {
    const token = c.req.param('token');
    const opened = openLink(deps.signer, token);
    if (!opened.ok || deps.usedLinks.has(opened.claims.id)) {
      const why = opened.ok ? 'used' : opened.why;
      deps.audit.write({
        event: `link.refused.${why}`,
        who: opened.claims?.decider,
        workflowId: opened.claims?.workflowId,
        detail: `opened: ${why}`,
      });
      return html(
        c,
        410,
        page('Link refused', `<p class="err">This decision link is ${esc(why)}. Open the inbox to decide.</p>`),
      );
    }
    const nonce = preNonce(c);
    const { claims } = opened;
    const view = await deps.sb.gates.show(claims.workflowId).catch(() => undefined);
    const body = `<h2>${claims.decision === 'approve' ? 'Approve' : 'Reject'} as ${esc(claims.decider)}</h2>
      ${view ? shownCard(view) : ''}
      <p>Digest bound to this link: <code>${esc(claims.digest)}</code>; expires ${when(new Date(claims.exp).toISOString())}.</p>
      <form method="post" action="/ui/l/${esc(token)}"><input type="hidden" name="_csrf" value="${esc(csrfToken(deps.signer, nonce))}">
      ${claims.decision === 'reject' ? '<p><label>Reason (required)<br><textarea name="reason" required rows="3"></textarea></label></p>' : ''}
      <button class="${claims.decision}">${claims.decision === 'approve' ? 'Approve' : 'Reject'}</button></form>`;
    return html(c, 200, page('Decision link', body));
  });
  web.post('/ui/l/:token', limit, linkLimit, async (c) => {
    const token = c.req.param('token');
    const f = await checkForm(c, getCookie(c, PRE_COOKIE));
    if (f instanceof Response) return f;
    const opened = openLink(deps.signer, token);
    const refuse = (why: string, claims?: { decider: string; workflowId: string }) => {
      deps.audit.write({
        event: `link.refused.${why}`,
        who: claims?.decider,
        workflowId: claims?.workflowId,
        detail: `used: ${why}`,
      });
      return html(c, 410, page('Link refused', `<p class="err">This decision link is ${esc(why)}.</p>`));
    };
    if (!opened.ok) return refuse(opened.why, opened.claims);
    const { claims } = opened;
    const person = deps.users.get(claims.decider);
    if (person && roleOf(person) === 'viewer') {
      deps.audit.write({
        event: 'link.refused.viewer',
        who: claims.decider,
        workflowId: claims.workflowId,
        detail: `${claims.decider} is a viewer`,
      });
      return html(
        c,
        403,
        page('Link refused', `<p class="err">${esc(claims.decider)} is a viewer: reading only, no decisions.</p>`),
      );
    }
    if (claims.decision === 'reject' && !f.reason?.trim())
      return html(c, 422, page('Reason needed', '<p class="err">A rejection needs a reason.</p>'));
    // Spent before the decision is sent: a crash in between leaves the link used, never usable twice.
    if (!deps.usedLinks.use(claims.id)) return refuse('used', claims);
    try {
      const outcome = await decideAs(deps, claims.decider, claims.workflowId, {
        decision: claims.decision,
        requestId: claims.requestId,
        digest: claims.digest,
        reason: claims.decision === 'reject' ? f.reason!.trim() : undefined,
        comment: 'via decision link',
      });
      deps.audit.write({
        event: 'link.used',
        who: claims.decider,
        workflowId: claims.workflowId,
        detail: `${claims.decision} ${claims.id}`,
      });
      return html(c, 200, page('Decided', decidedPage(claims.workflowId, outcome)));
    } catch (err) {
      const p = toProblem(err);
      deps.audit.write({
        event: 'link.refused.by_gate',
        who: claims.decider,
        workflowId: claims.workflowId,
        detail: p.message,
      });
      return html(c, p.status, page('Refused', `<p class="err">${esc(p.message)}</p>`));
    }
  });
}

function refererOrigin(ref: string | undefined): string | undefined {
  if (!ref) return undefined;
  try {
    return new URL(ref).origin;
  } catch {
    return undefined;
  }
}

/** Only our own pages are followed after sign-in (no open redirect). */
function safeNext(next: string | undefined): string {
  return next && /^\/ui\/[A-Za-z0-9/_.:@%-]*$/.test(next) && !next.includes('//') ? next : '/ui/inbox';
}

function inboxTable(items: InboxItem[], person: string): string {
  if (items.length === 0) return '<h2>Inbox</h2><p class="muted">Nothing is waiting on a person.</p>';
  const rows = items
    .map((i) => {
      const href =
        i.kind === 'session_input'
          ? `/ui/sessions/${encodeURIComponent(i.workflowId)}`
          : `/ui/gates/${encodeURIComponent(i.workflowId)}`;
      const mine = i.approvers.includes(person);
      return `<tr data-workflow="${esc(i.workflowId)}"><td><span class="kind">${esc(i.kind ?? '-')}</span></td><td><a href="${href}">${esc(i.subject ?? i.workflowId)}</a><br><span class="muted">${esc(i.workflowId)}</span></td>
        <td>${when(i.waitingSince)}</td><td>${when(i.deadline || undefined)}</td><td>${i.approvers.map((a) => (a === person ? `<strong>${esc(a)}</strong>` : esc(a))).join(', ') || '<span class="muted">anyone</span>'}${mine ? '' : ''}</td></tr>`;
    })
    .join('');
  return `<h2>Inbox <span class="muted">(${items.length})</span></h2><table><tr><th>Kind</th><th>Subject</th><th>Waiting since</th><th>Deadline</th><th>Approvers</th></tr>${rows}</table>`;
}

function shownCard(view: GateView): string {
  const shown = view.shown as { outline?: { title?: string; sections?: string[] } } | undefined;
  const sections = shown?.outline?.sections;
  return `<div class="card"><p><span class="kind">${esc(view.kind)}</span> <strong>${esc(view.subject)}</strong></p>
    ${sections ? `<p>${esc(shown?.outline?.title)}</p><ol class="outline">${sections.map((s) => `<li>${esc(s)}</li>`).join('')}</ol>` : ''}
    <details open><summary>Exactly what is being decided</summary><pre id="shown">${esc(JSON.stringify(view.shown, null, 2))}</pre></details>
    <p>Digest: <code id="digest">${esc(view.digest)}</code></p></div>`;
}

function gatePage(workflowId: string, view: GateView, w: Who): string {
  const decided = view.decided.length
    ? `<h3>Decided</h3><ul>${view.decided.map((o) => `<li>${esc(o.decision)} by ${esc(o.decider)} (${esc(o.identity ?? 'unverified')}) ${when(o.at)}${o.reason ? ` — ${esc(o.reason)}` : ''}</li>`).join('')}</ul>`
    : '';
  if (!view.open)
    return `<h2>${esc(workflowId)}</h2><p>No open gate.</p>${decided}<p><a href="/ui/sessions/${encodeURIComponent(workflowId)}">Transcript</a></p>`;
  const allowed = view.allowed ?? ['approve', 'approve_with_edits', 'reject'];
  const mayDecide = view.approvers?.includes(w.person) && w.role === 'decider';
  const hidden = `<input type="hidden" name="_csrf" value="${esc(w.csrf)}"><input type="hidden" name="requestId" value="${esc(view.requestId)}"><input type="hidden" name="digest" value="${esc(view.digest)}">`;
  const action = `/ui/gates/${encodeURIComponent(workflowId)}/decide`;
  const forms = [
    allowed.includes('approve') &&
      `<form method="post" action="${action}">${hidden}<input type="hidden" name="decision" value="approve"><p><label>Comment<br><input type="text" name="comment"></label></p><button class="approve" id="approve">Approve</button></form>`,
    allowed.includes('approve_with_edits') &&
      `<form method="post" action="${action}">${hidden}<input type="hidden" name="decision" value="approve_with_edits"><p><label>Edits (one per line)<br><textarea name="edits" rows="3" required></textarea></label></p><button class="approve">Approve with edits</button></form>`,
    allowed.includes('reject') &&
      `<form method="post" action="${action}">${hidden}<input type="hidden" name="decision" value="reject"><p><label>Reason (required)<br><textarea name="reason" rows="3" required></textarea></label></p><button class="reject">Reject</button></form>`,
  ]
    .filter(Boolean)
    .join('');
  return `<h2>${esc(workflowId)}</h2>${shownCard(view)}
    <table><tr><th>Request</th><td><code>${esc(view.requestId)}</code></td></tr><tr><th>Approvers</th><td>${esc(view.approvers?.join(', '))}${view.quorum && view.quorum.need > 1 ? ` (${view.quorum.votes.length} of ${view.quorum.need} approvals)` : ''}</td></tr>
    <tr><th>Waiting since</th><td>${when(view.since)}</td></tr><tr><th>Deadline</th><td>${when(view.deadline)}${view.escalated ? ' (escalated)' : ''}</td></tr></table>
    ${
      mayDecide
        ? `<h3>Decide as ${esc(w.person)}</h3><div class="forms">${forms}</div>`
        : `<p class="muted">${esc(w.person)} ${w.role === 'viewer' ? 'is a viewer (reading only)' : 'is not an approver of this gate'}.</p>`
    }
    ${decided}<p><a href="/ui/sessions/${encodeURIComponent(workflowId)}">Transcript</a></p>`;
}

function decidedPage(workflowId: string, o: GateOutcome): string {
  const what = o.vote
    ? `vote recorded (${o.vote.have} of ${o.vote.need} approvals; the gate stays open)`
    : `${o.decision} recorded`;
  return `<h2 class="ok" id="outcome">${esc(what)}</h2><p>By ${esc(o.decider)} (${esc(o.identity ?? 'unverified')}) at ${when(o.at)}${o.effect?.detail ? ` — ${esc(o.effect.detail)}` : ''}.</p>
    <p><a href="/ui/sessions/${encodeURIComponent(workflowId)}">Follow ${esc(workflowId)}</a> · <a href="/ui/inbox">Inbox</a></p>`;
}

function sessionPage(
  workflowId: string,
  shown: ShownWorkflow,
  entries: { pos: number; entry: TranscriptEntry }[],
  w: Who,
): string {
  const st = (shown.state ?? {}) as {
    status?: string;
    pendingInput?: { requestId: string; prompt: string };
    title?: string;
    topic?: string;
  };
  const gate = shown.gate as GateView | undefined;
  const last = entries.at(-1)?.pos ?? 0;
  const running = shown.workflowStatus === 'RUNNING';
  const answer =
    st.pendingInput && w.role === 'viewer'
      ? `<div class="card"><p><strong>The agent asks:</strong> ${esc(st.pendingInput.prompt)}</p><p class="muted">Viewers cannot answer.</p></div>`
      : st.pendingInput
        ? `<div class="card"><p><strong>The agent asks:</strong> ${esc(st.pendingInput.prompt)}</p><form method="post" action="/ui/sessions/${encodeURIComponent(workflowId)}/answer">
       <input type="hidden" name="_csrf" value="${esc(w.csrf)}"><input type="hidden" name="requestId" value="${esc(st.pendingInput.requestId)}"><p><textarea name="response" rows="2" required></textarea></p><button class="approve">Answer</button></form></div>`
        : '';
  return `<h2>${esc(st.title ?? st.topic ?? workflowId)}</h2><p class="muted">${esc(workflowId)} · ${esc(shown.type)} · status <strong id="status">${esc(st.status ?? shown.workflowStatus)}</strong></p>
    ${gate?.open ? `<p><a href="/ui/gates/${encodeURIComponent(workflowId)}">Waiting on a person: ${esc(gate.subject)}</a></p>` : ''}${answer}
    ${
      shown.type !== 'agentSession' && shown.type !== 'deepResearch'
        ? `<p class="muted">A ${esc(shown.type)} workflow has no transcript.</p>`
        : `<h3>Transcript <span class="muted" id="stream-status">${running ? 'connecting…' : `ended: ${esc(shown.workflowStatus)}`}</span></h3>
    <ol id="transcript" data-src="/workflows/${esc(encodeURIComponent(workflowId))}/events" data-last="${last}">${entries
      .map(
        (e) =>
          `<li value="${e.pos}" data-pos="${e.pos}" data-id="${esc(e.entry.id)}">[${esc(e.entry.role)}/${esc(e.entry.kind)}] ${esc(e.entry.text)}</li>`,
      )
      .join('')}</ol>`
    }`;
}
