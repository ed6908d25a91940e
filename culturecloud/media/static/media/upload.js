/* CultureCloud media upload widget (templates/media/upload_widget.html).
 *
 * Sends the chosen file to /api/v1/media/sessions in chunks (File.slice + fetch), each at the
 * offset the server expects. A failed chunk is retried with backoff after asking the server
 * where the upload stands; after repeated failures the upload pauses and a "Resume" button
 * continues it, also after a page reload (the session id is kept in localStorage for that
 * file). When the upload is complete the widget polls the asset until it is processed.
 * Events on the widget element: "media:uploaded" and "media:processed" (detail: the asset).
 */
(function () {
  "use strict";
  if (window.ccMediaUpload) {
    return; // the widget can be included more than once on a page
  }
  window.ccMediaUpload = true;

  var MAX_FAILURES = 5;
  var POLL_MS = 2000;
  var POLL_LIMIT = 900; // 30 minutes of polling at most

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) {
      return decodeURIComponent(match[1]);
    }
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function format(template, values) {
    return String(template || "")
      .replace(/%\((\w+)\)s/g, function (_all, key) {
        return values && key in values ? String(values[key]) : "";
      })
      .replace(/%%/g, "%");
  }

  function sleep(ms) {
    return new Promise(function (resolve) {
      window.setTimeout(resolve, ms);
    });
  }

  function ServerError(status, body) {
    this.status = status;
    this.body = body || {};
    this.message = (body && body.message) || "HTTP " + status;
  }

  function request(method, url, options) {
    options = options || {};
    var headers = { Accept: "application/json" };
    if (method !== "GET") {
      headers["X-CSRFToken"] = csrfToken();
    }
    var init = { method: method, headers: headers, credentials: "same-origin" };
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.json);
    } else if (options.body !== undefined) {
      headers["Content-Type"] = "application/octet-stream";
      init.body = options.body;
    }
    Object.keys(options.headers || {}).forEach(function (name) {
      headers[name] = options.headers[name];
    });
    if (options.signal) {
      init.signal = options.signal;
    }
    return fetch(url, init).then(function (response) {
      return response
        .json()
        .catch(function () {
          return {};
        })
        .then(function (body) {
          if (!response.ok) {
            throw new ServerError(response.status, body);
          }
          return body;
        });
    });
  }

  function sha256Hex(blob) {
    if (!window.crypto || !window.crypto.subtle || !blob.arrayBuffer) {
      return Promise.resolve("");
    }
    return blob.arrayBuffer().then(function (buffer) {
      return window.crypto.subtle.digest("SHA-256", buffer).then(function (digest) {
        return Array.prototype.map
          .call(new Uint8Array(digest), function (byte) {
            return ("0" + byte.toString(16)).slice(-2);
          })
          .join("");
      });
    });
  }

  function Widget(root) {
    this.root = root;
    this.data = root.dataset;
    this.input = root.querySelector('[data-role="file"]');
    this.startButton = root.querySelector('[data-role="start"]');
    this.resumeButton = root.querySelector('[data-role="resume"]');
    this.cancelButton = root.querySelector('[data-role="cancel"]');
    this.progress = root.querySelector('[data-role="progress"]');
    this.status = root.querySelector('[data-role="status"]');
    this.result = root.querySelector('[data-role="result"]');
    this.resultLink = root.querySelector('[data-role="result-link"]');
    this.assetInput = root.querySelector('[data-role="asset"]');
    this.busy = false;
    this.session = null;
    this.controller = null;
    this.lastAnnounced = -1;
    var self = this;
    this.startButton.addEventListener("click", function () {
      self.start();
    });
    this.resumeButton.addEventListener("click", function () {
      self.start();
    });
    this.cancelButton.addEventListener("click", function () {
      self.cancel();
    });
  }

  Widget.prototype.say = function (text, isError) {
    this.status.textContent = text;
    this.status.classList.toggle("notice", Boolean(isError));
    this.status.classList.toggle("notice-error", Boolean(isError));
  };

  Widget.prototype.setProgress = function (sent, total) {
    var percent = total ? Math.floor((sent * 100) / total) : 0;
    this.progress.value = percent;
    this.progress.textContent = percent + "%";
    // Announce in steps of 10 % so screen readers are not flooded.
    var step = Math.floor(percent / 10);
    if (step !== this.lastAnnounced) {
      this.lastAnnounced = step;
      this.say(format(this.data.msgProgress, { percent: percent }));
    }
  };

  Widget.prototype.storageKey = function (file) {
    return [
      "cc-media-upload",
      this.data.institution,
      file.name,
      file.size,
      file.lastModified,
    ].join(":");
  };

  Widget.prototype.setBusy = function (busy) {
    this.busy = busy;
    this.startButton.disabled = busy;
    this.input.disabled = busy;
    this.cancelButton.hidden = !busy && !this.session;
    if (busy) {
      this.resumeButton.hidden = true;
    }
  };

  Widget.prototype.openSession = function (file) {
    var self = this;
    var key = this.storageKey(file);
    var known = null;
    try {
      known = window.localStorage.getItem(key);
    } catch (e) {
      known = null;
    }
    var fresh = function () {
      var kinds = (self.data.kinds || "").split(",").filter(Boolean);
      return request("POST", self.data.sessionsUrl, {
        json: {
          institution: self.data.institution,
          filename: file.name,
          size: file.size,
          kinds: kinds,
        },
      }).then(function (session) {
        try {
          window.localStorage.setItem(key, session.id);
        } catch (e) {
          /* private mode: resuming after a reload is not possible, the rest works */
        }
        return session;
      });
    };
    if (!known) {
      return fresh();
    }
    return request("GET", this.data.sessionsUrl + "/" + known)
      .then(function (session) {
        if (session.status === "open" || session.status === "completed") {
          if (session.offset > 0 && session.status === "open") {
            self.say(
              format(self.data.msgResuming, {
                percent: Math.floor((session.offset * 100) / file.size),
              })
            );
          }
          return session;
        }
        return fresh();
      })
      .catch(function () {
        return fresh();
      });
  };

  Widget.prototype.start = function () {
    var self = this;
    var file = this.input.files && this.input.files[0];
    if (!file) {
      this.say(this.data.msgChoose, true);
      this.input.focus();
      return;
    }
    if (this.busy) {
      return;
    }
    this.setBusy(true);
    this.result.hidden = true;
    this.lastAnnounced = -1;
    this.say(this.data.msgStarting);
    this.controller = window.AbortController ? new AbortController() : null;
    this.openSession(file)
      .then(function (session) {
        self.session = session;
        self.cancelButton.hidden = false;
        return session.status === "completed" ? null : self.sendChunks(file, session);
      })
      .then(function () {
        self.say(self.data.msgCompleting);
        return request("POST", self.session.complete_url);
      })
      .then(function (asset) {
        try {
          window.localStorage.removeItem(self.storageKey(file));
        } catch (e) {
          /* ignore */
        }
        self.session = null;
        self.setProgress(1, 1);
        if (self.assetInput) {
          self.assetInput.value = asset.id;
        }
        self.resultLink.href = self.data.detailUrl + asset.id + "/";
        self.result.hidden = false;
        self.root.dispatchEvent(
          new CustomEvent("media:uploaded", { bubbles: true, detail: asset })
        );
        self.setBusy(false);
        self.cancelButton.hidden = true;
        return self.watch(asset);
      })
      .catch(function (error) {
        self.setBusy(false);
        if (error && error.name === "AbortError") {
          return;
        }
        if (error && error.paused) {
          self.say(self.data.msgPaused, true);
          self.resumeButton.hidden = false;
          self.resumeButton.focus();
          return;
        }
        var message = error instanceof ServerError ? error.message : self.data.msgError;
        var refused =
          error instanceof ServerError &&
          error.status >= 400 &&
          error.status < 500 &&
          error.status !== 409;
        if (refused) {
          // The server refused the file (type, size, expired): start afresh next time.
          try {
            window.localStorage.removeItem(self.storageKey(file));
          } catch (e) {
            /* ignore */
          }
          self.session = null;
          self.cancelButton.hidden = true;
        } else {
          self.resumeButton.hidden = false;
        }
        self.say(message, true);
      });
  };

  Widget.prototype.sendChunks = function (file, session) {
    var self = this;
    var offset = session.offset;
    var failures = 0;
    var signal = this.controller ? this.controller.signal : undefined;
    this.setProgress(offset, file.size);

    function where() {
      return request("GET", self.data.sessionsUrl + "/" + session.id, { signal: signal }).then(
        function (status) {
          return status.offset;
        }
      );
    }

    function next() {
      if (offset >= file.size) {
        return Promise.resolve();
      }
      var piece = file.slice(offset, Math.min(offset + session.chunk_size, file.size));
      return sha256Hex(piece)
        .then(function (digest) {
          var headers = digest ? { "X-Chunk-Sha256": digest } : {};
          return request("PUT", session.chunk_url + "?offset=" + offset, {
            body: piece,
            headers: headers,
            signal: signal,
          });
        })
        .then(function (status) {
          failures = 0;
          offset = status.offset;
          self.setProgress(offset, file.size);
          return next();
        })
        .catch(function (error) {
          if (error && error.name === "AbortError") {
            throw error;
          }
          if (error instanceof ServerError && error.status === 409 && error.body.code === "offset_mismatch") {
            return where().then(function (serverOffset) {
              offset = serverOffset;
              return next();
            });
          }
          var transient =
            !(error instanceof ServerError) || error.status >= 500 || error.status === 429;
          if (!transient) {
            throw error;
          }
          failures += 1;
          if (failures > MAX_FAILURES) {
            var paused = new Error("paused");
            paused.paused = true;
            throw paused;
          }
          self.say(self.data.msgRetrying);
          return sleep(1000 * Math.pow(2, failures - 1))
            .then(where)
            .then(function (serverOffset) {
              offset = serverOffset;
              return next();
            }, next);
        });
    }
    return next();
  };

  Widget.prototype.cancel = function () {
    var self = this;
    if (this.controller) {
      this.controller.abort();
    }
    var session = this.session;
    var file = this.input.files && this.input.files[0];
    this.session = null;
    this.setBusy(false);
    this.resumeButton.hidden = true;
    this.cancelButton.hidden = true;
    this.progress.value = 0;
    if (file) {
      try {
        window.localStorage.removeItem(this.storageKey(file));
      } catch (e) {
        /* ignore */
      }
    }
    var done = function () {
      self.say(self.data.msgCancelled);
    };
    if (session) {
      request("DELETE", this.data.sessionsUrl + "/" + session.id).then(done, done);
    } else {
      done();
    }
  };

  Widget.prototype.watch = function (asset) {
    var self = this;
    var polls = 0;
    function show(current) {
      if (current.status === "ready") {
        self.say(self.data.msgReady);
      } else if (current.status === "failed") {
        self.say(format(self.data.msgFailed, { reason: current.error_message }), true);
      } else {
        self.say(self.data.msgProcessing);
        return false;
      }
      self.root.dispatchEvent(
        new CustomEvent("media:processed", { bubbles: true, detail: current })
      );
      return true;
    }
    if (show(asset)) {
      return Promise.resolve();
    }
    function poll() {
      polls += 1;
      if (polls > POLL_LIMIT) {
        return Promise.resolve();
      }
      return sleep(POLL_MS)
        .then(function () {
          return request("GET", self.data.assetsUrl + "/" + asset.id);
        })
        .then(function (current) {
          return show(current) ? null : poll();
        }, poll);
    }
    return poll();
  };

  function init(scope) {
    var roots = (scope || document).querySelectorAll("[data-media-upload]");
    Array.prototype.forEach.call(roots, function (root) {
      if (!root.ccWidget) {
        root.ccWidget = new Widget(root);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      init(document);
    });
  } else {
    init(document);
  }
  document.addEventListener("htmx:load", function (event) {
    init(event.target);
  });
})();
