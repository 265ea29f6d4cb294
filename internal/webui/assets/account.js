// The pages that emailed links open: /reset-password asks for the new
// password twice and submits it with the token; /verify-email submits its
// token at once. Both read the token from ?token= and then drop it from the
// address bar (and from history), and talk to the REST shim on this origin.
(function () {
  "use strict";

  var params = new URLSearchParams(window.location.search);
  var token = params.get("token") || "";
  if (token && window.history && window.history.replaceState) {
    window.history.replaceState(null, "", window.location.pathname);
  }

  var result = document.getElementById("result");

  function show(ok, text) {
    result.hidden = false;
    result.className = "result " + (ok ? "ok" : "fail");
    result.textContent = text;
  }

  // post sends body as JSON to path and calls done(status, parsed body).
  function post(path, body, done) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.setRequestHeader("Content-Type", "application/json");
    xhr.onload = function () {
      var data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch (e) {
        data = null;
      }
      done(xhr.status, data, xhr.getResponseHeader("Retry-After"));
    };
    xhr.onerror = function () {
      done(0, null, null);
    };
    xhr.send(JSON.stringify(body));
  }

  function errorText(status, data, retryAfter) {
    if (status === 0) {
      return "The server could not be reached. Please try again.";
    }
    var err = data && data.error;
    if (err && err.code === "RATE_LIMIT_EXCEEDED" && retryAfter) {
      return err.message + " (wait " + retryAfter + " s)";
    }
    if (err && err.code === "BAD_REQUEST") {
      return "This link is invalid or has expired. Ask for a new one.";
    }
    return (err && err.message) || "Something went wrong (HTTP " + status + ").";
  }

  var verifyPage = document.getElementById("verify-page");
  if (verifyPage) {
    if (!token) {
      show(false, "This link has no token. Open the link from the email again.");
      return;
    }
    post("/api/auth/verify-email", { token: token }, function (status, data, retryAfter) {
      if (status === 200) {
        show(true, "Your email address is verified. You can close this page.");
      } else {
        show(false, errorText(status, data, retryAfter));
      }
    });
    return;
  }

  var form = document.getElementById("reset-form");
  if (!form) {
    return;
  }
  var pw = document.getElementById("new-password");
  var confirm = document.getElementById("confirm-password");
  var errors = document.getElementById("password-errors");
  var submit = document.getElementById("reset-submit");

  function setErrors(list) {
    errors.textContent = "";
    list.forEach(function (m) {
      var li = document.createElement("li");
      li.textContent = m;
      errors.appendChild(li);
    });
    pw.setAttribute("aria-invalid", list.length ? "true" : "false");
  }

  if (!token) {
    form.hidden = true;
    show(false, "This link has no token. Open the link from the email again.");
    return;
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    result.hidden = true;
    var local = [];
    if (pw.value.length < 8) {
      local.push("Password must be at least 8 characters");
    }
    if (pw.value !== confirm.value) {
      local.push("The two passwords do not match");
    }
    setErrors(local);
    if (local.length) {
      return;
    }
    submit.disabled = true;
    post("/api/auth/reset-password", { token: token, new_password: pw.value }, function (status, data, retryAfter) {
      submit.disabled = false;
      if (status === 200) {
        form.hidden = true;
        show(true, "Your password has been changed, and every session was signed out. Sign in with the new password.");
        return;
      }
      var details = data && data.error && data.error.details;
      if (status === 422 && details && details.new_password) {
        setErrors(details.new_password);
        return;
      }
      if (status === 400 || status === 403) {
        form.hidden = true;
      }
      show(false, errorText(status, data, retryAfter));
    });
  });
})();
