/**
 * Every Wyse Mate HTTP path, auth header and wire convention in one place.
 *
 * The seed (`wyse-mate-python-sdk.txt`) documents the SDK's services, methods and models but not a
 * single HTTP path. The paths below are the ones the public `wyse_mate` Python SDK itself uses
 * (`wyse_mate/constants.py`, and `session/stop` from its successor `wyseos/mate/constants.py`);
 * relative to the seed they are all assumptions, so each is marked `// assumption`.
 */

/**
 * Auth header name. The seed says only that `_do_request` "sets necessary headers (including your
 * API key)"; the SDK sends `x-api-key: <key>`.
 */
export const API_KEY_HEADER = 'x-api-key'; // assumption (seed names no header)

/** Default page size the seed documents for `ListOptions` (1–100). */
export const DEFAULT_PAGE_SIZE = 20;
/** Largest `page_size` the seed allows. */
export const MAX_PAGE_SIZE = 100;

export const ROUTES = {
  /** `user.list_api_keys` — GET, query `page_num`, `page_size`. */
  apiKeyList: '/user/apikey/lists', // assumption
  /** `team.get_list` — GET, query `team_type` (`all` when empty), `page_num`, `page_size`. */
  teamList: '/team/lists', // assumption
  /** `team.get_info` — GET. */
  teamInfo: '/team/info/{team_id}', // assumption
  /** `agent.get_list` — GET, query `agent_type` (`all` when empty), `page_num`, `page_size`. */
  agentList: '/agent/lists', // assumption
  /** `agent.get_info` — GET. */
  agentInfo: '/agent/info/{agent_id}', // assumption
  /** `session.create` — POST `{team_id, task, title?}` → `{session_id}`. */
  sessionCreate: '/session/create', // assumption
  /**
   * `session.get_info` — GET; `session.update_session_name` — PUT `{session_id, title}` on the
   * same path (the SDK reuses the info path for the rename).
   */
  sessionInfo: '/session/info/{session_id}', // assumption
  /**
   * Stop a running session — POST, no body. The seed documents NO way to stop or cancel a
   * session; this is the endpoint a later version of the public SDK added (`session.stop`).
   */
  sessionStop: '/session/stop/{session_id}', // assumption (not in the seed at all)
  /**
   * `session.get_messages` — GET, query `session_id`, `page_num`, `page_size` and the
   * {@link MESSAGE_FILTER_PARAMS}. Oldest message first (assumption: the seed names no order).
   */
  sessionMessages: '/session/message/lists', // assumption
  /** `session.get_between_messages` — GET, query `session_id`, `from_message_id`, `to_message_id`. */
  sessionMessagesBetween: '/session/message/between', // assumption
  /** `browser.get_info` — GET. */
  browserInfo: '/browser/info/{browser_id}', // assumption
  /** `browser.list_browsers` — GET, query `session_id`, `page_num`, `page_size`. */
  browserList: '/browser/lists', // assumption
  /** `browser.release_browser` — DELETE (the seed's client has a body-less `delete`). */
  browserRelease: '/browser/release/{browser_id}', // assumption
  /** `browser.list_browser_pages` — GET, query `browser_id`, `page_num`, `page_size`. */
  browserPages: '/browser/page/lists', // assumption
} as const;

/**
 * `MessageFilter` fields sent as query parameters under their seed names (the SDK dumps the model
 * into the query string). Timestamps go as ISO-8601 strings (assumption), bounds inclusive (seed).
 */
export const MESSAGE_FILTER_PARAMS = ['role', 'content', 'from_timestamp', 'to_timestamp'] as const;

/**
 * Success envelope: every answer is `{code, msg, data}` with `code === 0` on success — the seed's
 * `get_paginated` "extracts … the data from nested response structures", and the SDK checks
 * `code != 0` even on HTTP 200. Error answers carry `{code, msg}` (the SDK reads `msg`, `code`,
 * `details`). Assumption as to exact field types: `code` may be a number or a string.
 */
export const SUCCESS_CODE = 0;

/**
 * Session status words. The seed names `active`, `completed` and `error` ("e.g."); `created`,
 * `paused` and `stopped` come from the SDK's constants (assumption).
 */
export const SESSION_STATUS = {
  created: 'created',
  active: 'active',
  paused: 'paused',
  completed: 'completed',
  error: 'error',
  stopped: 'stopped',
} as const;

/**
 * Browser status words: the seed names `open`, `closed`, `error`; a released browser is `closed`.
 * `released` (the SDK's word) is accepted as equivalent when reading.
 */
export const BROWSER_STATUS = { open: 'open', closed: 'closed', error: 'error', released: 'released' } as const;
