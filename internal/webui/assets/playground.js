// The gqlauth Playground: GraphiQL with a fetcher that knows this API's
// tokens. It remembers the tokens that register, login and refresh return,
// sends "Authorization: Bearer <accessToken>" with every later request, and
// forgets them on logout. Everything stays in sessionStorage: one tab, one
// session, gone when the tab closes.
(function () {
  "use strict";

  var ENDPOINT = "/graphql";
  var KEYS = { access: "gqlauth.accessToken", refresh: "gqlauth.refreshToken", email: "gqlauth.email" };

  var DEFAULT_QUERY = [
    "# Welcome to the gqlauth Playground.",
    "#",
    "# Run the operations below in order with the ▶ button",
    "# (it asks which one). The tokens that Register, Login",
    "# and Refresh return are kept, and every later request",
    "# sends \"Authorization: Bearer <accessToken>\"; Logout",
    "# forgets them. An Authorization header typed under",
    "# Headers (below) wins over the kept one.",
    "",
    "mutation Register {",
    "  register(input: {",
    "    name: \"Jane Doe\"",
    "    email: \"jane@example.com\"",
    "    password: \"securePassword123\"",
    "  }) {",
    "    ...Tokens",
    "  }",
    "}",
    "",
    "mutation Login {",
    "  login(input: {",
    "    email: \"jane@example.com\"",
    "    password: \"securePassword123\"",
    "  }) {",
    "    ...Tokens",
    "  }",
    "}",
    "",
    "query Me {",
    "  me {",
    "    id",
    "    name",
    "    email",
    "    role",
    "    isActive",
    "    emailVerified",
    "    createdAt",
    "    updatedAt",
    "  }",
    "}",
    "",
    "query Sessions {",
    "  sessions {",
    "    id",
    "    current",
    "    createdAt",
    "    lastUsedAt",
    "    expiresAt",
    "    userAgent",
    "    ip",
    "  }",
    "}",
    "",
    "# With no refreshToken under Variables, the kept",
    "# refresh token is sent.",
    "mutation Refresh($refreshToken: String!) {",
    "  refresh(refreshToken: $refreshToken) {",
    "    ...Tokens",
    "  }",
    "}",
    "",
    "# scope: LOCAL (this session, the default),",
    "# OTHERS or GLOBAL.",
    "mutation Logout {",
    "  logout(scope: LOCAL)",
    "}",
    "",
    "# Email (the server logs each message when SMTP_URL",
    "# is not set). Registering sent a verification link;",
    "# paste its token under Variables as \"token\".",
    "mutation VerifyEmail($token: String!) {",
    "  verifyEmail(token: $token)",
    "}",
    "",
    "# A new verification link (older ones stop working).",
    "mutation ResendVerification {",
    "  resendVerification",
    "}",
    "",
    "# True for every well-formed email; only an account",
    "# is sent a reset link.",
    "mutation ForgotPassword {",
    "  forgotPassword(email: \"jane@example.com\")",
    "}",
    "",
    "# The token from the reset link; signs out every",
    "# session of the account.",
    "mutation ResetPassword($token: String!) {",
    "  resetPassword(input: {",
    "    token: $token",
    "    newPassword: \"newSecurePassword\"",
    "  })",
    "}",
    "",
    "fragment Tokens on AuthPayload {",
    "  accessToken",
    "  refreshToken",
    "  tokenType",
    "  expiresIn",
    "  user {",
    "    id",
    "    name",
    "    email",
    "    role",
    "  }",
    "}",
    ""
  ].join("\n");

  // store wraps sessionStorage, which a locked-down browser may refuse; the
  // tokens then last as long as the page.
  var store = (function () {
    var memory = {};
    function get(k) {
      try { return window.sessionStorage.getItem(k); } catch (e) { return memory[k] || null; }
    }
    function set(k, v) {
      try {
        if (v == null) window.sessionStorage.removeItem(k); else window.sessionStorage.setItem(k, v);
      } catch (e) {
        if (v == null) delete memory[k]; else memory[k] = v;
      }
    }
    return { get: get, set: set };
  })();

  function forget() {
    store.set(KEYS.access, null);
    store.set(KEYS.refresh, null);
    store.set(KEYS.email, null);
  }

  // --- what the request is about ---------------------------------------

  // topFields lists the top-level fields of the operation that runs, with
  // their response keys (aliases), from the parsed document GraphiQL hands
  // the fetcher. Without it, response keys stand for field names.
  function topFields(params, opts) {
    var doc = opts && opts.documentAST;
    if (!doc || !doc.definitions) return null;
    var ops = doc.definitions.filter(function (d) { return d.kind === "OperationDefinition"; });
    var op = ops.length === 1 ? ops[0] : ops.find(function (d) {
      return d.name && d.name.value === params.operationName;
    });
    if (!op) return null;
    var fields = {};
    op.selectionSet.selections.forEach(function (s) {
      if (s.kind !== "Field") return;
      fields[(s.alias || s.name).value] = { name: s.name.value, args: s.arguments || [] };
    });
    return fields;
  }

  // argValue reads an argument as sent: a literal, or a variable's value.
  function argValue(field, name, variables) {
    var arg = field.args.find(function (a) { return a.name.value === name; });
    if (!arg) return undefined;
    if (arg.value.kind === "Variable") return (variables || {})[arg.value.name.value];
    return arg.value.value;
  }

  // withRememberedRefreshToken fills a refresh's refreshToken variable that
  // the user left empty, so the example Refresh runs as it stands.
  function withRememberedRefreshToken(params, fields) {
    var remembered = store.get(KEYS.refresh);
    if (!fields || !remembered) return params;
    var variables = Object.assign({}, params.variables || {});
    var changed = false;
    Object.keys(fields).forEach(function (key) {
      var f = fields[key];
      if (f.name !== "refresh") return;
      var arg = f.args.find(function (a) { return a.name.value === "refreshToken"; });
      if (!arg || arg.value.kind !== "Variable") return;
      var v = arg.value.name.value;
      if (variables[v] == null || variables[v] === "") {
        variables[v] = remembered;
        changed = true;
      }
    });
    return changed ? Object.assign({}, params, { variables: variables }) : params;
  }

  // requestHeaders merges, in order: JSON defaults, the remembered token,
  // and the headers typed in GraphiQL's editor, which win (an Authorization
  // typed in any letter case replaces the remembered one).
  function requestHeaders(typed) {
    var headers = {
      "Content-Type": "application/json",
      Accept: "application/graphql-response+json, application/json"
    };
    var token = store.get(KEYS.access);
    if (token) headers.Authorization = "Bearer " + token;
    Object.keys(typed || {}).forEach(function (name) {
      Object.keys(headers).forEach(function (h) {
        if (h.toLowerCase() === name.toLowerCase()) delete headers[h];
      });
      headers[name] = typed[name];
    });
    return headers;
  }

  function bearerOf(headers) {
    var name = Object.keys(headers).find(function (h) { return h.toLowerCase() === "authorization"; });
    var m = name && /^bearer\s+(\S+)$/i.exec(String(headers[name]).trim());
    return m ? m[1] : null;
  }

  // --- what the response means -----------------------------------------

  // track updates the remembered session from one response. sentToken is the
  // bearer token the request carried: only answers about the remembered
  // token's own session (me, logout) may change what is remembered.
  function track(body, fields, variables, sentToken) {
    var data = body && body.data;
    if (!data || typeof data !== "object") return;
    var ownSession = sentToken != null && sentToken === store.get(KEYS.access);
    Object.keys(data).forEach(function (key) {
      var value = data[key];
      var field = (fields && fields[key]) || { name: key, args: [] };
      if (value && typeof value === "object" && typeof value.accessToken === "string") {
        // An AuthPayload (register, login, refresh): a new session.
        var user = value.user;
        var email = user && typeof user.email === "string" ? user.email
          : field.name === "refresh" ? store.get(KEYS.email) : null;
        store.set(KEYS.access, value.accessToken);
        if (typeof value.refreshToken === "string") store.set(KEYS.refresh, value.refreshToken);
        store.set(KEYS.email, email);
      } else if (field.name === "logout" && value === true && ownSession) {
        // OTHERS ends every session but this one.
        if (String(argValue(field, "scope", variables) || "LOCAL").toUpperCase() !== "OTHERS") forget();
      } else if (field.name === "me" && value && typeof value.email === "string" && ownSession) {
        store.set(KEYS.email, value.email);
      }
    });
  }

  async function fetcher(params, opts) {
    var fields = topFields(params, opts);
    params = withRememberedRefreshToken(params, fields);
    var headers = requestHeaders(opts && opts.headers);
    var sentToken = bearerOf(headers);
    var res = await fetch(ENDPOINT, {
      method: "POST",
      headers: headers,
      body: JSON.stringify(params),
      credentials: "same-origin"
    });
    var text = await res.text();
    var body;
    try {
      body = JSON.parse(text);
    } catch (e) {
      // Not GraphQL (a proxy error page, say): show what came back.
      body = { errors: [{ message: "HTTP " + res.status + ": " + text.slice(0, 500) }] };
    }
    track(body, fields, params.variables, sentToken);
    render();
    return body;
  }

  // --- the status bar ---------------------------------------------------

  // expired reads a JWT's exp claim; tokens that are not JWTs never expire
  // here (the server still decides).
  function expired(token) {
    try {
      var part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      var claims = JSON.parse(atob(part));
      return typeof claims.exp === "number" && claims.exp * 1000 <= Date.now();
    } catch (e) {
      return false;
    }
  }

  function render() {
    var access = store.get(KEYS.access);
    var refresh = store.get(KEYS.refresh);
    var email = store.get(KEYS.email);
    var status = "Not signed in";
    if (access) {
      status = email ? "Signed in as " + email : "Signed in";
      if (expired(access)) status += " (access token expired: run Refresh)";
    }
    document.getElementById("auth-status").textContent = status;
    var box = document.getElementById("auth-refresh");
    box.hidden = !refresh;
    var code = document.getElementById("auth-refresh-token");
    code.textContent = refresh || "";
    code.title = refresh || "";
    document.getElementById("auth-forget").hidden = !access && !refresh;
  }

  function copyRefreshToken() {
    var code = document.getElementById("auth-refresh-token");
    var token = code.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(token).catch(function () { selectText(code); });
    } else {
      selectText(code);
    }
  }

  function selectText(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  function mount() {
    document.getElementById("auth-copy-refresh").addEventListener("click", copyRefreshToken);
    document.getElementById("auth-forget").addEventListener("click", function () {
      forget();
      render();
    });
    render();
    var root = window.ReactDOM.createRoot(document.getElementById("graphiql"));
    root.render(window.React.createElement(window.GraphiQL, {
      fetcher: fetcher,
      defaultQuery: DEFAULT_QUERY,
      shouldPersistHeaders: false
    }));
  }

  mount();
})();
