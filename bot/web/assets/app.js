// The staff console: ask, check the cited clauses, fix the draft, copy it
// into WeChat. Everything the server sends is set with textContent, never
// as HTML, because answers and clauses are untrusted text.
(function () {
  'use strict';

  var RECENT_KEY = 'policybot.recent.v1';
  var RECENT_MAX = 20;

  var $ = function (id) { return document.getElementById(id); };
  var el = {};
  var current = null;        // the draft on screen, as stored in recent
  var busy = false;
  var docCache = new Map();  // doc id -> Promise of the document JSON

  function init() {
    ['question', 'history', 'ask', 'status', 'draft', 'found-note', 'copy', 'regenerate',
      'copy-status', 'sources', 'recent', 'feedback-comment', 'feedback-good', 'feedback-bad',
      'feedback-status', 'doc-panel', 'doc-title', 'doc-meta', 'doc-body', 'doc-close', 'scope']
      .forEach(function (id) { el[id] = $(id); });

    el.ask.addEventListener('click', function () { ask(el.question.value, el.history.value); });
    el.question.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        ask(el.question.value, el.history.value);
      }
    });
    el.regenerate.addEventListener('click', function () {
      if (current) ask(current.question, current.history.join('\n'));
    });
    el.copy.addEventListener('click', copyDraft);
    el.draft.addEventListener('input', function () {
      setStatus(el['copy-status'], ''); // an earlier 已复制 no longer holds
      if (!current) return;
      current.draft = el.draft.value;
      saveCurrent();
    });
    el['feedback-good'].addEventListener('click', function () { feedback(true); });
    el['feedback-bad'].addEventListener('click', function () { feedback(false); });
    el['doc-close'].addEventListener('click', closeDoc);
    document.addEventListener('keydown', function (e) {
      if (e.key === 'Escape' && !el['doc-panel'].hidden) closeDoc();
    });

    renderRecent();
    loadScope();
  }

  // loadScope shows what the corpus covers, as the server words it; the
  // page itself names no region, period or hotline.
  function loadScope() {
    api('api/scope').then(function (data) {
      var text = data && typeof data.scope === 'string' ? data.scope.trim() : '';
      el.scope.textContent = text;
      el.scope.hidden = !text;
    }, function () {
      // The line is a courtesy; the console works without it.
      el.scope.hidden = true;
    });
  }

  // --- talking to the server -------------------------------------------

  function api(path, body) {
    var opts = { headers: { 'Accept': 'application/json' } };
    if (body !== undefined) {
      opts.method = 'POST';
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (res) {
      return res.json().catch(function () { return null; }).then(function (data) {
        if (!res.ok) {
          throw new Error((data && data.error) || ('请求失败（' + res.status + '），请稍后再试。'));
        }
        return data;
      });
    }, function () {
      throw new Error('无法连接服务器，请检查网络后重试。');
    });
  }

  function setStatus(node, text, kind) {
    node.textContent = text || '';
    node.classList.toggle('error', kind === 'error');
    node.classList.toggle('ok', kind === 'ok');
  }

  function splitLines(text) {
    return String(text || '').split(/\r?\n/).map(function (s) { return s.trim(); })
      .filter(function (s) { return s !== ''; });
  }

  // --- asking ------------------------------------------------------------

  function ask(questionText, historyText) {
    var question = String(questionText || '').trim();
    if (busy) return;
    if (!question) {
      setStatus(el.status, '请先粘贴客户的问题。', 'error');
      el.question.focus();
      return;
    }
    var history = splitLines(historyText);
    busy = true;
    setButtons();
    setStatus(el.status, '正在生成答复…');
    api('api/ask', { question: question, history: history }).then(function (data) {
      var entry = {
        key: data.id || ('local-' + Date.now().toString(36) + Math.random().toString(36).slice(2, 8)),
        id: data.id || '',
        time: new Date().toISOString(),
        question: question,
        history: history,
        answer: data.answer || '',
        draft: data.answer || '',
        found: !!data.found,
        citations: Array.isArray(data.citations) ? data.citations : []
      };
      el.question.value = question;
      el.history.value = history.join('\n');
      show(entry);
      saveCurrent();
      setStatus(el.status, '已生成，请核对来源后再发送。', 'ok');
      if (window.matchMedia('(max-width: 700px)').matches) {
        el.draft.scrollIntoView({ block: 'start', behavior: 'smooth' });
      }
    }).catch(function (err) {
      setStatus(el.status, err.message, 'error');
    }).then(function () {
      busy = false;
      setButtons();
    });
  }

  function setButtons() {
    el.ask.disabled = busy;
    el.regenerate.disabled = busy || !current;
    el.copy.disabled = !current;
    var canMark = !!(current && current.id);
    el['feedback-good'].disabled = !canMark;
    el['feedback-bad'].disabled = !canMark;
  }

  // show puts one draft on screen: text, sources and feedback state.
  function show(entry) {
    current = entry;
    el.draft.value = entry.draft;
    var note = el['found-note'];
    note.textContent = entry.found ? '' : '未找到直接相关的政策条款';
    note.classList.toggle('not-found', !entry.found);
    renderSources(entry.citations);
    setStatus(el['copy-status'], '');
    setStatus(el['feedback-status'], !entry.id ? '这条草稿没有记录编号，无法反馈。' :
      entry.mark === 'good' ? '已标记为正确。' : entry.mark === 'bad' ? '已标记为错误。' : '');
    el['feedback-comment'].value = '';
    closeDoc();
    setButtons();
    renderRecent();
  }

  function renderSources(citations) {
    var list = el.sources;
    list.textContent = '';
    if (!citations.length) {
      var empty = document.createElement('li');
      empty.className = 'empty';
      empty.textContent = '暂无来源';
      list.appendChild(empty);
      return;
    }
    citations.forEach(function (c, i) {
      var li = document.createElement('li');
      li.className = 'source';
      li.dataset.index = String(i);

      var btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'cite';
      btn.title = '查看原文';
      btn.textContent = '[' + c.n + '] 《' + (c.title || '') + '》' +
        (c.doc_no ? '（' + c.doc_no + '）' : '') + (c.clause ? ' ' + c.clause : '');
      btn.addEventListener('click', function () { openCitation(c, li); });
      li.appendChild(btn);

      var meta = document.createElement('div');
      meta.className = 'source-meta';
      if (c.issued) {
        var issued = document.createElement('span');
        issued.textContent = '发布于 ' + c.issued;
        meta.appendChild(issued);
      }
      if (c.expired) {
        var badge = document.createElement('span');
        badge.className = 'badge expired';
        badge.textContent = '已过期';
        meta.appendChild(badge);
      }
      li.appendChild(meta);

      if (c.text) {
        var p = document.createElement('p');
        p.className = 'excerpt';
        p.textContent = c.text.length > 120 ? c.text.slice(0, 120) + '…' : c.text;
        li.appendChild(p);
      }
      list.appendChild(li);
    });
  }

  // --- the document panel ------------------------------------------------

  function loadDoc(id) {
    if (!docCache.has(id)) {
      var p = api('api/documents/' + encodeURIComponent(id));
      p.catch(function () { docCache.delete(id); });
      docCache.set(id, p);
    }
    return docCache.get(id);
  }

  function openCitation(c, li) {
    Array.prototype.forEach.call(el.sources.querySelectorAll('.source.active'), function (n) {
      n.classList.remove('active');
    });
    li.classList.add('active');
    el['doc-title'].textContent = '《' + (c.title || '') + '》';
    el['doc-meta'].textContent = '正在加载原文…';
    el['doc-body'].textContent = '';
    openPanel();
    loadDoc(c.doc_id).then(function (doc) {
      renderDoc(doc, c);
    }).catch(function (err) {
      el['doc-meta'].textContent = err.message;
    });
  }

  function openPanel() {
    el['doc-panel'].hidden = false;
    el['doc-panel'].parentElement.classList.add('with-doc');
  }

  function closeDoc() {
    el['doc-panel'].hidden = true;
    el['doc-panel'].parentElement.classList.remove('with-doc');
    Array.prototype.forEach.call(el.sources.querySelectorAll('.source.active'), function (n) {
      n.classList.remove('active');
    });
  }

  function docMetaLine(doc) {
    var parts = [];
    if (doc.doc_no) parts.push(doc.doc_no);
    if (doc.issuer) parts.push(doc.issuer);
    if (doc.issued) parts.push('发布于 ' + doc.issued);
    if (doc.effective_from || doc.effective_until) {
      parts.push('有效期 ' + (doc.effective_from || '未注明') + ' 至 ' + (doc.effective_until || '未注明'));
    }
    return parts.join(' · ');
  }

  function norm(s) { return String(s || '').replace(/\s+/g, ''); }

  // citedChunk finds the clause a citation points at. Labels can repeat
  // (a long clause is split into parts), so the text decides among them.
  function citedChunk(chunks, c) {
    if (c.chunk_id) {
      // The answer names the clause exactly; labels and texts are only a
      // fallback for drafts made before chunk ids were sent.
      for (var k = 0; k < chunks.length; k++) {
        if (chunks[k].id === c.chunk_id) return k;
      }
    }
    var label = norm(c.clause), text = norm(c.text);
    var best = -1, bestScore = 0;
    chunks.forEach(function (ch, i) {
      var score = 0, l = norm(ch.label), t = norm(ch.text);
      if (label && l === label) score += 4;
      else if (label && l && (label.endsWith(l) || l.endsWith(label))) score += 1;
      if (text && t) {
        if (t === text) score += 8;
        else if (t.indexOf(text) >= 0 || text.indexOf(t) >= 0) score += 6;
        else if (text.length > 20 && t.indexOf(text.slice(0, 20)) >= 0) score += 3;
      }
      if (score > bestScore) { best = i; bestScore = score; }
    });
    return best;
  }

  function renderDoc(doc, c) {
    el['doc-title'].textContent = '《' + (doc.title || c.title || '') + '》';
    el['doc-meta'].textContent = docMetaLine(doc);
    var body = el['doc-body'];
    body.textContent = '';
    var chunks = Array.isArray(doc.chunks) ? doc.chunks : [];
    var hit = citedChunk(chunks, c);
    var target = null;
    chunks.forEach(function (ch, i) {
      var sec = document.createElement('section');
      sec.className = 'chunk';
      sec.id = 'chunk-' + i;
      sec.dataset.chunkId = ch.id || '';
      var h = document.createElement('h3');
      h.className = 'chunk-label';
      var path = Array.isArray(ch.path) ? ch.path.filter(Boolean) : [];
      if (ch.label && path[path.length - 1] !== ch.label) path.push(ch.label);
      h.textContent = path.join(' › ');
      var p = document.createElement('p');
      p.className = 'chunk-text';
      if (i === hit) {
        sec.classList.add('cited');
        var m = document.createElement('mark');
        m.textContent = ch.text || '';
        p.appendChild(m);
        target = sec;
      } else {
        p.textContent = ch.text || '';
      }
      if (h.textContent) sec.appendChild(h);
      sec.appendChild(p);
      body.appendChild(sec);
    });
    if (!chunks.length) body.textContent = '该文件没有可显示的条款。';
    if (target) {
      target.scrollIntoView({ block: 'center' });
    } else if (chunks.length) {
      var note = document.createElement('p');
      note.className = 'status error';
      note.textContent = '没能在原文中定位到引用的条款，请人工核对。';
      body.insertBefore(note, body.firstChild);
    }
  }

  // --- copying -----------------------------------------------------------

  function copyDraft() {
    var text = el.draft.value;
    var done = function (ok, how) {
      if (ok) {
        // Kept for checks that cannot read the system clipboard.
        window.__lastCopied = text;
        window.__copyMethod = how;
      }
      setStatus(el['copy-status'], ok ? '已复制' : '复制失败，请手动选中草稿复制。', ok ? 'ok' : 'error');
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true, 'clipboard'); },
        function () { done(fallbackCopy(text), 'execCommand'); });
    } else {
      done(fallbackCopy(text), 'execCommand');
    }
  }

  // fallbackCopy serves plain-http deployments, where the async clipboard
  // API does not exist.
  function fallbackCopy(text) {
    var ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.className = 'offscreen';
    ta.style.position = 'fixed';
    ta.style.top = '-1000px';
    ta.style.opacity = '0';
    document.body.appendChild(ta);
    ta.select();
    var ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    document.body.removeChild(ta);
    return ok;
  }

  // --- feedback ----------------------------------------------------------

  function feedback(good) {
    if (!current || !current.id) return;
    var entry = current;
    el['feedback-good'].disabled = true;
    el['feedback-bad'].disabled = true;
    setStatus(el['feedback-status'], '正在保存…');
    api('api/feedback', { id: entry.id, good: good, comment: el['feedback-comment'].value.trim() })
      .then(function () {
        entry.mark = good ? 'good' : 'bad';
        saveCurrent();
        setStatus(el['feedback-status'], good ? '已标记为正确，谢谢！' : '已标记为错误，谢谢！', 'ok');
      }).catch(function (err) {
        setStatus(el['feedback-status'], err.message, 'error');
      }).then(setButtons);
  }

  // --- this session's drafts ---------------------------------------------

  function loadRecent() {
    try {
      var list = JSON.parse(sessionStorage.getItem(RECENT_KEY) || '[]');
      return Array.isArray(list) ? list : [];
    } catch (e) {
      return [];
    }
  }

  function saveCurrent() {
    if (!current) return;
    var list = loadRecent().filter(function (e) { return e.key !== current.key; });
    list.unshift(current);
    try {
      sessionStorage.setItem(RECENT_KEY, JSON.stringify(list.slice(0, RECENT_MAX)));
    } catch (e) {
      // Storage full or disabled: the list is a convenience, the draft on
      // screen is unaffected.
    }
    renderRecent();
  }

  function renderRecent() {
    var list = loadRecent();
    var ul = el.recent;
    ul.textContent = '';
    if (!list.length) {
      var empty = document.createElement('li');
      empty.className = 'empty';
      empty.textContent = '还没有草稿';
      ul.appendChild(empty);
      return;
    }
    list.forEach(function (entry) {
      var li = document.createElement('li');
      var btn = document.createElement('button');
      btn.type = 'button';
      btn.dataset.key = entry.key;
      if (current && current.key === entry.key) btn.classList.add('active');
      var t = document.createElement('time');
      var d = new Date(entry.time);
      t.textContent = isNaN(d) ? '' : d.toTimeString().slice(0, 8);
      btn.appendChild(t);
      var flags = [];
      if (entry.draft !== entry.answer) flags.push('已修改');
      if (entry.mark) flags.push(entry.mark === 'good' ? '✓正确' : '✗错误');
      var label = entry.question + (flags.length ? '（' + flags.join('，') + '）' : '');
      btn.appendChild(document.createTextNode(label));
      btn.title = label;
      btn.addEventListener('click', function () {
        el.question.value = entry.question;
        el.history.value = (entry.history || []).join('\n');
        show(entry);
        setStatus(el.status, '已恢复之前的草稿。', 'ok');
      });
      li.appendChild(btn);
      ul.appendChild(li);
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
