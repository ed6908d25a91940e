/*
 * Players of a resource page, no inline script (CSP script-src 'self'):
 *  - video[data-hls-src]: HLS through hls.js (window.Hls, from npm); Safari plays HLS natively.
 *    hls.js runs its worker from a same-origin file (data-hls-worker), never a blob: URL.
 *  - [data-view-url]: the page view is counted once it has loaded (POST), so the page itself
 *    can come from the shared cache.
 *  - video/audio[data-play-url]: the first start of playback is counted once (POST).
 *  - [data-deepzoom]: OpenSeadragon (window.OpenSeadragon, from npm) fed by an IIIF info.json
 *    (data-iiif-info) or, without one, by the large image (data-image-url); an image set
 *    passes its images as JSON in data-images and gets a sequence with previous/next.
 *  - [data-pdf-reader]: pdf.js (an ES module from npm, loaded with import() from
 *    data-pdfjs-url) renders one page at a time into a canvas; eval is turned off.
 * Each part leaves the plain HTML fallback in place when its library is missing.
 */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function count(url) {
    try {
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken() },
        keepalive: true,
      }).catch(function () {});
    } catch (e) {
      /* counting is best effort */
    }
  }

  function countView(element) {
    var url = element.getAttribute("data-view-url");
    if (url) count(url);
  }

  function countPlay(media) {
    var url = media.getAttribute("data-play-url");
    if (!url) return;
    var counted = false;
    media.addEventListener("play", function () {
      if (counted) return;
      counted = true;
      count(url);
    });
  }

  function setupVideo(video) {
    var src = video.getAttribute("data-hls-src");
    if (!src) return;
    if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = src;
      return;
    }
    if (!window.Hls || !window.Hls.isSupported()) {
      var note = video.parentNode.querySelector("[data-role=unsupported]");
      if (note) note.hidden = false;
      return;
    }
    var worker = video.getAttribute("data-hls-worker");
    var hls = new window.Hls({
      enableWorker: Boolean(worker),
      workerPath: worker || undefined,
      capLevelToPlayerSize: true,
    });
    hls.loadSource(src);
    hls.attachMedia(video);
    hls.on(window.Hls.Events.ERROR, function (_event, data) {
      if (!data || !data.fatal) return;
      if (data.type === window.Hls.ErrorTypes.NETWORK_ERROR) {
        hls.startLoad();
      } else if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR) {
        hls.recoverMediaError();
      } else {
        hls.destroy();
        var failed = video.parentNode.querySelector("[data-role=failed]");
        if (failed) failed.hidden = false;
      }
    });
  }

  function tileSource(item) {
    if (item.iiif) return item.iiif;
    return { type: "image", url: item.url, buildPyramid: false };
  }

  function makeViewer(stage, box, items) {
    // OpenSeadragon appends an inline <style> to <head> (no focus outline on touch
    // screens); CSP style-src 'self' blocks it and reports a violation, so it is not
    // appended while the viewer is made: resources.css carries the same rule.
    var head = document.head;
    head.appendChild = function (node) {
      if (node && node.nodeName === "STYLE" && node.hasAttribute("data-openseadragon-mobile-css")) {
        return node;
      }
      return Node.prototype.appendChild.call(head, node);
    };
    try {
      return window.OpenSeadragon({
        element: stage,
        prefixUrl: box.getAttribute("data-prefix-url"),
        tileSources: items.map(tileSource),
        sequenceMode: items.length > 1,
        showReferenceStrip: items.length > 1,
        showNavigator: true,
        crossOriginPolicy: false,
        gestureSettingsMouse: { clickToZoom: false },
      });
    } finally {
      delete head.appendChild;
    }
  }

  function setupDeepZoom(box) {
    if (!window.OpenSeadragon) return;
    var items = [];
    var raw = box.getAttribute("data-images");
    if (raw) {
      try {
        items = JSON.parse(raw);
      } catch (e) {
        items = [];
      }
    } else {
      items = [{ iiif: box.getAttribute("data-iiif-info") || "", url: box.getAttribute("data-image-url") || "" }];
    }
    items = items.filter(function (item) {
      return item.iiif || item.url;
    });
    if (!items.length) return;
    var stage = box.querySelector("[data-role=stage]");
    if (!stage) return;
    // the stage gets its height (and the fallback image goes) before the viewer measures it
    box.classList.add("is-zoomable");
    var fallback = box.querySelector("[data-role=fallback]");
    if (fallback) fallback.hidden = true;
    var viewer = makeViewer(stage, box, items);
    var caption = box.querySelector("[data-role=caption]");
    if (caption) {
      var show = function (index) {
        caption.textContent = items[index] && items[index].caption ? items[index].caption : "";
      };
      show(0);
      viewer.addHandler("page", function (event) {
        show(event.page);
      });
    }
  }

  function setupReader(box) {
    var pdfUrl = box.getAttribute("data-pdf-url");
    var libUrl = box.getAttribute("data-pdfjs-url");
    if (!pdfUrl || !libUrl) return;
    var canvas = box.querySelector("canvas");
    var status = box.querySelector("[data-role=page-status]");
    var prev = box.querySelector("[data-role=prev]");
    var next = box.querySelector("[data-role=next]");
    var controls = box.querySelector("[data-role=controls]");
    var template = box.getAttribute("data-msg-page") || "%(page)s / %(total)s";
    var doc = null;
    var current = 1;
    var rendering = false;

    function render(number) {
      if (!doc || rendering) return;
      rendering = true;
      doc.getPage(number).then(function (page) {
        var width = Math.max(box.clientWidth, 320);
        var base = page.getViewport({ scale: 1 });
        var ratio = window.devicePixelRatio || 1;
        var viewport = page.getViewport({ scale: (width / base.width) * ratio });
        canvas.width = Math.floor(viewport.width);
        canvas.height = Math.floor(viewport.height);
        canvas.style.width = Math.floor(viewport.width / ratio) + "px";
        canvas.style.height = Math.floor(viewport.height / ratio) + "px";
        return page.render({ canvasContext: canvas.getContext("2d"), viewport: viewport }).promise;
      }).then(function () {
        rendering = false;
        current = number;
        status.textContent = template.replace("%(page)s", number).replace("%(total)s", doc.numPages);
        prev.disabled = number <= 1;
        next.disabled = number >= doc.numPages;
      }, function () {
        rendering = false;
      });
    }

    import(libUrl).then(function (lib) {
      lib.GlobalWorkerOptions.workerSrc = box.getAttribute("data-worker-url");
      return lib.getDocument({ url: pdfUrl, isEvalSupported: false, withCredentials: false }).promise;
    }).then(function (pdf) {
      doc = pdf;
      canvas.hidden = false;
      controls.hidden = false;
      var fallback = box.querySelector("[data-role=fallback]");
      if (fallback) fallback.hidden = true;
      prev.addEventListener("click", function () {
        if (current > 1) render(current - 1);
      });
      next.addEventListener("click", function () {
        if (current < doc.numPages) render(current + 1);
      });
      render(1);
    }).catch(function () {
      /* the preview picture and the download link stay */
    });
  }

  function init() {
    document.querySelectorAll("[data-view-url]").forEach(countView);
    document.querySelectorAll("video[data-hls-src]").forEach(setupVideo);
    document.querySelectorAll("video[data-play-url], audio[data-play-url]").forEach(countPlay);
    document.querySelectorAll("[data-deepzoom]").forEach(setupDeepZoom);
    document.querySelectorAll("[data-pdf-reader]").forEach(setupReader);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
