/* The book's chart drawing, bundled with Vega and Vega-Lite (no Vega-Embed: 0.27 MB lighter).
 *
 * window.iijbookDraw(selector, spec) compiles a Vega-Lite spec and draws it as SVG in the element.
 * A chart drawn wider than its column is drawn again to fit: titles wrap, a row of facets becomes
 * a column, and every width in the spec shrinks by what overflowed. The same happens again when
 * the window is resized. What still overflows after that is scaled down by the stylesheet.
 * A range slider whose spec carries usermeta.iijbook.bindingLabels[param] shows those labels
 * (e.g. a month) instead of its raw number.
 */
window.iijbookDraw = (function () {
  var measure = document.createElement("canvas").getContext("2d");

  function clone(x) { return JSON.parse(JSON.stringify(x)); }

  /* Text broken into lines no wider than maxPx in the given CSS font. */
  function wrapText(text, maxPx, font) {
    if (Array.isArray(text)) text = text.join(" ");
    measure.font = font;
    var words = String(text).split(/\s+/), lines = [], line = "";
    words.forEach(function (w) {
      var longer = line ? line + " " + w : w;
      if (line && measure.measureText(longer).width > maxPx) { lines.push(line); line = w; }
      else { line = longer; }
    });
    if (line) lines.push(line);
    return lines.length > 1 ? lines : lines[0] || "";
  }

  function fontOf(spec, part, size, weight) {
    var config = spec.config || {};
    var family = (config[part] || {}).font || config.font || "sans-serif";
    return weight + " " + ((config[part] || {}).fontSize || size) + "px " + family;
  }

  /* The chart's title, subtitle and x-axis titles wrapped to the width. */
  function wrapTitles(spec, width) {
    var title = spec.title;
    if (title) {
      if (typeof title === "string" || Array.isArray(title)) title = spec.title = { text: title };
      if (typeof title.text !== "string" && !Array.isArray(title.text)) return; // e.g. a signal
      title.text = wrapText(title.text, width - 8, fontOf(spec, "title", 13, "bold"));
      if (title.subtitle) title.subtitle = wrapText(title.subtitle, width - 8, fontOf(spec, "title", 12, "normal"));
    }
    var axisFont = fontOf(spec, "axis", 11, "bold");
    (function walk(node) {
      if (!node || typeof node !== "object") return;
      var x = node.encoding && node.encoding.x;
      if (x && typeof x.title === "string") x.title = wrapText(x.title, width - 80, axisFont);
      ["layer", "vconcat", "hconcat", "concat"].forEach(function (k) { (node[k] || []).forEach(walk); });
      walk(node.spec);
    })(spec);
  }

  /* A row of facets or of charts becomes a column, so each panel gets the full width. */
  function stackPanels(spec) {
    if (spec.facet && spec.facet.column && !spec.facet.row) {
      spec.facet = spec.facet.column;
      spec.columns = 1;
    } else if (spec.hconcat) {
      spec.vconcat = spec.hconcat;
      delete spec.hconcat;
    } else if (spec.concat) {
      spec.columns = 1;
    }
  }

  function isComposite(spec) {
    return ["facet", "hconcat", "vconcat", "concat", "repeat"].some(function (k) { return k in spec; });
  }

  /* Shrink every panel's width by `by` pixels (not below 120); a panel without a width of its
   * own has the theme's continuousWidth. */
  function shrink(spec, by, base) {
    if (!spec || typeof spec !== "object") return;
    if (spec.layer || spec.mark) {
      var width = typeof spec.width === "number" ? spec.width : base;
      spec.width = Math.max(120, width - by);
      return;
    }
    shrink(spec.spec, by, base);
    ["vconcat", "hconcat", "concat"].forEach(function (k) {
      (spec[k] || []).forEach(function (s) { shrink(s, by, base); });
    });
  }

  function labelBindings(el, spec, view) {
    var meta = (spec.usermeta && spec.usermeta.iijbook) || {};
    var labels = meta.bindingLabels || {};
    Object.keys(labels).forEach(function (name) {
      var input = el.querySelector('input[type="range"][name="' + name + '"]');
      if (!input) return;
      var shown = input.nextElementSibling;
      function update() {
        var text = labels[name][Number(input.value)];
        if (text === undefined) return;
        if (shown) shown.textContent = text;
        input.setAttribute("aria-valuetext", text);
      }
      input.addEventListener("input", update);
      input.addEventListener("change", update); // Vega writes the raw number on release
      view.addSignalListener(name, update);
      update();
    });
  }

  /* Draw the spec into el; `kept` sets bound signals (a slider's, a menu's) to where the reader left them. */
  function render(el, spec, kept) {
    var vgSpec = vegaLite.compile(spec).spec;
    var view = new vega.View(vega.parse(vgSpec), { renderer: "svg", container: el, hover: true, logLevel: vega.Warn });
    Object.keys(kept || {}).forEach(function (name) {
      try { view.signal(name, kept[name]); } catch (e) { /* not a signal of this drawing */ }
    });
    return view.runAsync().then(function () { labelBindings(el, spec, view); return view; });
  }

  /* The current values of the spec's bound parameters (its sliders and menus) in a view. */
  function boundValues(spec, view) {
    var values = {};
    (spec.params || []).forEach(function (p) {
      if (!p.bind || !view) return;
      try { values[p.name] = view.signal(p.name); } catch (e) { /* not drawn yet */ }
    });
    return values;
  }

  /* The width the chart was drawn at (the stylesheet may be scaling it down on screen). */
  function svgWidth(el) {
    var svg = el.querySelector("svg");
    return svg ? parseFloat(svg.getAttribute("width")) || svg.getBoundingClientRect().width : 0;
  }

  /* Title and axis-title texts that run past the chart's edge: their words, width and font. */
  function cutTexts(el) {
    var svg = el.querySelector("svg");
    if (!svg) return [];
    var box = svg.getBoundingClientRect();
    var scale = box.width / (svgWidth(el) || box.width);
    var texts = svg.querySelectorAll(".role-title-text text, .role-title-subtitle text, .role-axis-title text");
    var cut = [];
    texts.forEach(function (t) {
      if (/rotate/.test(t.getAttribute("transform") || "")) return; // a y-axis title runs up the side
      var r = t.getBoundingClientRect();
      var over = Math.max(r.right - box.right, box.left - r.left) / scale;
      if (over <= 1) return;
      var spans = t.querySelectorAll("tspan");
      var words = spans.length ? [].map.call(spans, function (s) { return s.textContent; }).join(" ") : t.textContent;
      // a centred text must lose twice what overflows on one side
      var sides = t.getAttribute("text-anchor") === "middle" ? 2 : 1;
      // the budget in characters, from the width the text was drawn at (a canvas may measure
      // another font than the one the chart drew with)
      var drawn = r.width / scale;
      var widest = t, widestPx = 0;
      [].forEach.call(spans.length ? spans : [t], function (s) {
        var px = s.getComputedTextLength();
        if (px > widestPx) { widest = s; widestPx = px; }
      });
      var perPx = widest.textContent.length / (widestPx || drawn);
      var maxChars = Math.floor(perPx * Math.max(80, drawn - sides * over - 8));
      cut.push({ words: words, maxChars: maxChars });
    });
    return cut;
  }

  /* How many characters a legend label may have to end inside the chart (0 if none is cut). */
  function legendCut(el) {
    var svg = el.querySelector("svg");
    if (!svg) return 0;
    var right = svg.getBoundingClientRect().right, fit = 0;
    svg.querySelectorAll(".role-legend-label text, .role-legend-title text").forEach(function (t) {
      var r = t.getBoundingClientRect(), chars = t.textContent.length;
      if (r.right <= right + 1 || !chars) return;
      var keep = Math.max(8, Math.floor(chars * (right - r.left - 6) / r.width));
      fit = fit ? Math.min(fit, keep) : keep;
    });
    return fit;
  }

  /* How far the chart's own labels (text marks) run past its left and right edges, in px. */
  function markOverflow(el) {
    var svg = el.querySelector("svg"), edges = { left: 0, right: 0 };
    if (!svg) return edges;
    var box = svg.getBoundingClientRect();
    var scale = box.width / (svgWidth(el) || box.width);
    svg.querySelectorAll("g.role-mark text").forEach(function (t) {
      var r = t.getBoundingClientRect();
      if (!r.width) return;
      edges.left = Math.max(edges.left, (box.left - r.left) / scale);
      edges.right = Math.max(edges.right, (r.right - box.right) / scale);
    });
    return edges;
  }

  /* Every text mark of the spec a pixel smaller, not below 9 px; false if none could shrink. */
  function smallerLabels(spec, base) {
    var changed = false;
    base = ((spec.config || {}).text || {}).fontSize || base;
    (function walk(node) {
      if (!node || typeof node !== "object") return;
      var mark = node.mark;
      if (mark === "text") mark = node.mark = { type: "text" };
      if (mark && mark.type === "text" && (mark.fontSize || base) > 9) {
        mark.fontSize = (mark.fontSize || base) - 1;
        changed = true;
      }
      ["layer", "vconcat", "hconcat", "concat"].forEach(function (k) { (node[k] || []).forEach(walk); });
      walk(node.spec);
    })(spec);
    return changed;
  }

  /* Give every legend of the spec (one its author did not label by expression) this labelExpr. */
  function breakLegendLabels(spec, expr) {
    var changed = false;
    var channels = ["color", "fill", "stroke", "shape", "strokeDash", "size", "opacity", "strokeWidth"];
    (function walk(node) {
      if (!node || typeof node !== "object") return;
      var enc = node.encoding || {};
      channels.forEach(function (c) {
        var def = enc[c];
        if (!def || typeof def !== "object" || !def.field || def.legend === null) return;
        var legend = def.legend || {};
        if (legend.labelExpr) return;
        def.legend = Object.assign({}, legend, { labelExpr: expr, labelLimit: 0 });
        changed = true;
      });
      ["layer", "vconcat", "hconcat", "concat"].forEach(function (k) { (node[k] || []).forEach(walk); });
      walk(node.spec);
    })(spec);
    return changed;
  }

  /* A Vega expression that breaks a legend label longer than n characters at its last space
   * before n, onto two lines. */
  function twoLines(n) {
    var cut = "lastindexof(substring(datum.label, 0, " + n + "), ' ')";
    return "length(datum.label) > " + n + " && " + cut + " > 0 ? [substring(datum.label, 0, " + cut +
      "), substring(datum.label, " + cut + " + 1)] : datum.label";
  }

  /* Text broken into lines of at most maxChars characters (a longer word keeps its own line). */
  function wrapChars(text, maxChars) {
    if (Array.isArray(text)) text = text.join(" ");
    var lines = [], line = "";
    String(text).split(/\s+/).forEach(function (w) {
      if (line && (line + " " + w).length > maxChars) { lines.push(line); line = w; }
      else { line = line ? line + " " + w : w; }
    });
    if (line) lines.push(line);
    return lines.length > 1 ? lines : lines[0] || "";
  }

  /* Wrap every title in the spec that reads `words` to maxChars a line; true if one changed. */
  function rewrap(spec, words, maxChars) {
    var changed = false;
    function same(t) { return (Array.isArray(t) ? t.join(" ") : String(t)) === words; }
    (function walk(node) {
      if (!node || typeof node !== "object") return;
      Object.keys(node).forEach(function (k) {
        var v = node[k];
        if (k === "title" || k === "text" || k === "subtitle") {
          if ((typeof v === "string" || Array.isArray(v)) && same(v)) {
            var wrapped = wrapChars(v, maxChars);
            if (JSON.stringify(wrapped) !== JSON.stringify(v)) { node[k] = wrapped; changed = true; }
            return;
          }
        }
        if (v && typeof v === "object") walk(v);
      });
    })(spec);
    return changed;
  }

  function draw(selector, spec) {
    var el = typeof selector === "string" ? document.querySelector(selector) : selector;
    var current = null, lastWidth = -1, generation = 0;

    /* A later paint (the column changed meanwhile) makes an earlier one stop where it is. */
    function Stale() {}

    function redraw(s, mine) {
      if (mine !== generation) return Promise.reject(new Stale());
      var kept = boundValues(spec, current);
      if (current) { current.finalize(); current = null; el.innerHTML = ""; }
      return render(el, s, kept).then(function (view) {
        if (mine !== generation) { view.finalize(); throw new Stale(); }
        current = view;
        return view;
      });
    }

    /* Draw again until the chart fits: shrink a composite's panels by what overflows, wrap any
     * title still cut at the edge, make room for labels past it (at most eight rounds). */
    function refit(fitted, width, round, mine) {
      return redraw(fitted, mine).then(function (view) {
        if (round >= 8) return view;
        var changed = false;
        var over = svgWidth(el) - width;
        if (over > 1 && isComposite(fitted)) {
          shrink(fitted, Math.ceil(over) + 4, ((fitted.config || {}).view || {}).continuousWidth || 300);
          changed = true;
        }
        cutTexts(el).forEach(function (cut) {
          if (rewrap(fitted, cut.words, cut.maxChars)) changed = true;
        });
        var legend = (fitted.config || {}).legend || {};
        var labelChars = legendCut(el);
        if ((over > 1 || labelChars) && legend.direction !== "vertical") {
          // legends side by side under the chart can be wider than it: list each one's entries down
          fitted.config = fitted.config || {};
          fitted.config.legend = Object.assign({}, legend, { direction: "vertical" });
          changed = true;
        } else if (labelChars && breakLegendLabels(fitted, twoLines(labelChars))) {
          changed = true; // entries still too long: broken onto two lines
        }
        var edges = markOverflow(el);
        if ((edges.left > 1 || edges.right > 1) && fitted.padding === undefined) {
          // a data label drawn past the edge: room for it in the chart's padding, once, and at
          // most a quarter of the width a side (a label pinned to the edge moves with it)
          var room = function (px) { return px > 1 ? 5 + Math.min(Math.ceil(px) + 2, Math.floor(width / 4)) : 5; };
          fitted.padding = { left: room(edges.left), right: room(edges.right), top: 5, bottom: 5 };
          changed = true;
        } else if ((edges.left > 1 || edges.right > 1) && smallerLabels(fitted, 11)) {
          changed = true; // still past it: the chart's labels a size smaller, each round
        }
        return changed ? refit(fitted, width, round + 1, mine) : view;
      });
    }

    function paint() {
      var width = el.clientWidth;
      if (!width || width === lastWidth) return Promise.resolve();
      lastWidth = width;
      var mine = ++generation;
      return redraw(spec, mine).then(function (view) {
        if (svgWidth(el) <= width + 1 && !cutTexts(el).length && !legendCut(el)) return view;
        // too wide for its column: wrap the title; a single chart is fitted to the width,
        // a composite one has its panels stacked; then refit until nothing is cut
        var fitted = clone(spec);
        wrapTitles(fitted, width);
        if (!isComposite(fitted)) {
          fitted.width = width;
          fitted.autosize = { type: "fit-x", contains: "padding" };
        } else {
          stackPanels(fitted);
        }
        return refit(fitted, width, 0, mine).catch(function (err) {
          if (err instanceof Stale) throw err;
          // fitting failed: the chart as its author drew it is better than none
          console.error("chart " + el.id + ": could not fit it to its column: " + err);
          return redraw(spec, mine);
        });
      }).catch(function (err) {
        if (!(err instanceof Stale)) console.error("chart " + el.id + ": " + err);
      });
    }
    // the column's width, not the window's: a sidebar toggled, a scrollbar, a block unfolded
    var timer = null;
    function later() { clearTimeout(timer); timer = setTimeout(paint, 150); }
    if (window.ResizeObserver) new ResizeObserver(later).observe(el);
    else window.addEventListener("resize", later);
    return paint();
  }

  return draw;
})();
window.dispatchEvent(new Event("vega-ready"));
