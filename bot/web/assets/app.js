// The staff console: ask, check the cited clauses, fix the draft, copy it
// into WeChat. Everything the server sends is set with textContent, never
// as HTML, because answers and clauses are untrusted text.
(function () {
  'use strict';

  var RECENT_KEY = 'policybot.recent.v1';
  var STAFF_KEY = 'policybot.staff.v1';
  var RECENT_MAX = 20;

  var $ = function (id) { return document.getElementById(id); };
  var el = {};
  var current = null;        // the draft on screen, as stored in recent
  var busy = false;
  // failed holds why the last request for a draft failed while current was
  // on screen: current then answers no request the staff made last.
  var failed = '';
  var docCache = new Map();  // doc id -> Promise of the document JSON

  function init() {
    ['question', 'history', 'ask', 'status', 'draft-pane', 'draft', 'found-note', 'copy', 'regenerate',
      'copy-status', 'sources', 'recent', 'feedback-comment', 'feedback-good', 'feedback-bad',
      'feedback-status', 'doc-panel', 'doc-title', 'doc-meta', 'doc-body', 'doc-close', 'scope',
      'asked', 'asked-question', 'asked-history-count', 'asked-history', 'asked-history-list',
      'stale-banner', 'stale-text', 'stale-regenerate', 'staff-name',
      'teach', 'teach-cited', 'teach-chunk', 'teach-none', 'teach-save', 'teach-status']
      .forEach(function (id) { el[id] = $(id); });

    var askBoxes = function () { ask(el.question.value, el.history.value); };
    el.ask.addEventListener('click', askBoxes);
    el.question.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        askBoxes();
      }
    });
    // Regenerating answers what the boxes hold now: a draft gone stale
    // because the question was edited is replaced by one for the edit.
    el.regenerate.addEventListener('click', askBoxes);
    el['stale-regenerate'].addEventListener('click', askBoxes);
    el.question.addEventListener('input', updateStale);
    el.history.addEventListener('input', updateStale);
    el.copy.addEventListener('click', copyDraft);
    el.draft.addEventListener('input', function () {
      setStatus(el['copy-status'], ''); // an earlier 已复制 no longer holds
      fitDraft();
      if (!current) return;
      current.draft = el.draft.value;
      saveCurrent();
    });
    // A stale draft is not copied by hand either.
    ['copy', 'cut'].forEach(function (type) {
      el.draft.addEventListener(type, function (e) {
        if (!staleReason()) return;
        e.preventDefault();
        setStatus(el['copy-status'], '草稿已过期，不能复制，请重新生成。', 'error');
      });
    });
    el['feedback-comment'].addEventListener('input', function () { fitTextarea(el['feedback-comment']); });
    var fitting = false;
    window.addEventListener('resize', function () {
      if (fitting) return;
      fitting = true;
      window.requestAnimationFrame(function () { fitting = false; fitDraft(); });
    });
    if (document.fonts && document.fonts.ready) document.fonts.ready.then(fitDraft);
    el['feedback-good'].addEventListener('click', function () { feedback(true); });
    el['feedback-bad'].addEventListener('click', function () { feedback(false); });
    el['teach-save'].addEventListener('click', teach);
    el['teach-cited'].addEventListener('change', function () {
      if (el['teach-cited'].value) { el['teach-chunk'].value = ''; el['teach-none'].checked = false; }
    });
    el['teach-chunk'].addEventListener('input', function () {
      if (el['teach-chunk'].value.trim()) { el['teach-cited'].value = ''; el['teach-none'].checked = false; }
    });
    el['teach-none'].addEventListener('change', function () {
      if (el['teach-none'].checked) { el['teach-cited'].value = ''; el['teach-chunk'].value = ''; }
    });
    el['doc-close'].addEventListener('click', closeDoc);
    document.addEventListener('keydown', function (e) {
      if (e.key === 'Escape' && !el['doc-panel'].hidden) closeDoc();
    });

    initStaff();
    renderRecent();
    loadScope();
    fitDraft();
  }

  // initStaff keeps the name staff sign their marks with across visits.
  function initStaff() {
    try { el['staff-name'].value = localStorage.getItem(STAFF_KEY) || ''; } catch (e) { /* storage off */ }
    el['staff-name'].addEventListener('input', function () {
      try { localStorage.setItem(STAFF_KEY, el['staff-name'].value.trim()); } catch (e) { /* storage off */ }
    });
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

  // sameRequest says whether question and history are what entry answers.
  function sameRequest(entry, question, history) {
    return !!entry && entry.question === question &&
      (entry.history || []).join('\n') === history.join('\n');
  }

  function edited(entry) {
    return !!entry && entry.draft !== entry.answer;
  }

  function ask(questionText, historyText) {
    var question = String(questionText || '').trim();
    if (busy) return;
    if (!question) {
      setStatus(el.status, '请先粘贴客户的问题。', 'error');
      el.question.focus();
      return;
    }
    var history = splitLines(historyText);
    // Asking again what the draft on screen answers replaces it: the
    // staff's edits go with it, so they say so first.
    if (sameRequest(current, question, history) && edited(current) &&
        !window.confirm('重新生成会丢弃您对草稿的修改，确定吗？')) {
      setStatus(el.status, '已取消重新生成，草稿未改动。');
      return;
    }
    // What the boxes held when asked: if the staff type on while waiting,
    // their new text is kept, and the answer shows as stale beside it.
    var asked = { question: el.question.value, history: el.history.value };
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
      if (el.question.value === asked.question && el.history.value === asked.history) {
        el.question.value = question;
        el.history.value = history.join('\n');
      }
      show(entry);
      saveCurrent();
      setStatus(el.status, '已生成，请核对来源后再发送。', 'ok');
      if (window.matchMedia('(max-width: 700px)').matches) {
        var still = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
        el['draft-pane'].scrollIntoView({ block: 'start', behavior: still ? 'auto' : 'smooth' });
      }
    }).catch(function (err) {
      setStatus(el.status, err.message, 'error');
      // The draft on screen does not answer what was just asked.
      if (current) failed = err.message;
    }).then(function () {
      busy = false;
      updateStale();
    });
  }

  // staleReason says why the draft on screen no longer answers what the
  // staff asked: 'failed' (the last request for a draft failed), 'edited'
  // (the question or history boxes changed since), or '' when it does.
  function staleReason() {
    if (!current) return '';
    if (failed) return 'failed';
    if (!sameRequest(current, el.question.value.trim(), splitLines(el.history.value))) return 'edited';
    return '';
  }

  // updateStale greys a stale draft, says why above it, and keeps it from
  // being copied or edited.
  function updateStale() {
    var reason = staleReason();
    el['draft-pane'].classList.toggle('stale', !!reason);
    el['stale-banner'].hidden = !reason;
    el['stale-text'].textContent = reason === 'failed' ?
      '刚才生成失败（' + failed.replace(/[。.]$/, '') + '），下面仍是上一条草稿，不能复制。' :
      reason === 'edited' ? '问题或之前的消息已修改，下面的草稿回答的是原来的问题，不能复制。' : '';
    el.draft.readOnly = !!reason;
    if (reason) {
      setStatus(el['copy-status'], '');
      // 已生成 spoke of a draft that no longer answers; an error stays.
      if (el.status.classList.contains('ok')) setStatus(el.status, '');
    }
    setButtons();
  }

  function setButtons() {
    var stale = !!staleReason();
    el.ask.disabled = busy;
    el.regenerate.disabled = busy || !current;
    el['stale-regenerate'].disabled = busy;
    el.copy.disabled = busy || !current || stale;
    el.copy.title = stale ? '草稿已过期，请重新生成后再复制' : '';
    var canMark = !!(current && current.id);
    el['feedback-good'].disabled = !canMark;
    el['feedback-bad'].disabled = !canMark;
  }

  // fitTextarea grows a textarea to its content, so that nothing in it is
  // hidden behind an inner scrollbar; its CSS min-height still applies.
  function fitTextarea(ta) {
    var x = window.scrollX, y = window.scrollY;
    ta.style.height = 'auto';
    var border = ta.offsetHeight - ta.clientHeight;
    ta.style.height = (ta.scrollHeight + border) + 'px';
    // Shrinking to auto for a moment can move the page; put it back.
    if (window.scrollY !== y || window.scrollX !== x) window.scrollTo(x, y);
  }

  function fitDraft() { fitTextarea(el.draft); }

  // showAsked puts the question the draft answers above it.
  function showAsked(entry) {
    var history = entry.history || [];
    el.asked.hidden = false;
    el['asked-question'].textContent = entry.question;
    el['asked-history-count'].textContent = history.length ?
      '含之前的消息 ' + history.length + ' 条' : '无之前的消息';
    var list = el['asked-history-list'];
    list.textContent = '';
    history.forEach(function (m) {
      var li = document.createElement('li');
      li.textContent = m;
      list.appendChild(li);
    });
    el['asked-history'].hidden = !history.length;
    el['asked-history'].open = false;
  }

  // show puts one draft on screen: its question, text, sources and
  // feedback state.
  function show(entry) {
    current = entry;
    failed = '';
    showAsked(entry);
    el.draft.value = entry.draft;
    fitDraft();
    var note = el['found-note'];
    note.textContent = entry.found ? '' : '未找到直接相关的政策条款';
    note.classList.toggle('not-found', !entry.found);
    renderSources(entry.citations);
    setStatus(el['copy-status'], '');
    setStatus(el['feedback-status'], !entry.id ? '这条草稿没有记录编号，无法反馈。' :
      entry.mark === 'good' ? '已标记为正确。' : entry.mark === 'bad' ? '已标记为错误。' : '');
    el['feedback-comment'].value = '';
    fitTextarea(el['feedback-comment']);
    showTeach(entry);
    closeDoc();
    updateStale();
    renderRecent();
  }

  // cnDate writes an ISO date as 2020年12月31日.
  function cnDate(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso || ''));
    return m ? Number(m[1]) + '年' + Number(m[2]) + '月' + Number(m[3]) + '日' : String(iso || '');
  }

  // shortCite words a 《title》（文号） citation by its 文号 when it has one.
  function shortCite(cite) {
    var m = /》（([^（）]+)）$/.exec(cite);
    return m ? m[1] : cite;
  }

  // validityOf is what a citation's badge says: where the clause stands,
  // and on what that rests. Drafts kept from before validity was sent
  // have only the expired flag.
  function validityOf(c) {
    var v = c.validity && typeof c.validity === 'object' ? c.validity : {};
    var status = v.status || (c.expired ? 'expired' : '');
    var out = { badge: '', cls: '', title: '', detail: '', because: '' };
    switch (status) {
      case 'expired':
        out.badge = '已失效';
        out.cls = 'expired';
        out.title = v.until ? '执行期限已于' + cnDate(v.until) + '结束' : '已失效';
        if (v.until) out.detail = '期限至' + cnDate(v.until);
        break;
      case 'in_force':
        out.badge = v.until ? '有效至' + cnDate(v.until) : '有效';
        out.cls = 'in-force';
        out.title = '执行期限' + (v.until ? '至' + cnDate(v.until) : '未结束');
        if (v.ends_soon) {
          out.badge += '，即将到期';
          out.cls = 'ends-soon';
          out.title += '，即将到期，到期后是否延续请向主管部门确认';
        }
        break;
      case 'unstated':
        out.badge = '未写明期限';
        out.cls = 'unstated';
        out.title = '原文未写明执行期限，请确认是否仍有效';
        out.detail = '请确认是否仍有效';
        break;
      default:
        return out;
    }
    if (v.repealed || v.amended) {
      // Repealed or rewritten by another document, the whole of it or
      // the clause's article: its own period no longer says where it
      // stands.
      var what = v.repealed ? '废止' : '修改';
      out.badge = (v.part ? '本条已' : '已') + what;
      out.cls = 'expired';
      out.title = (v.part ? '本条（' + v.part + '）' : '该文件') + '已被' + (v.because || '其他文件') + what;
      out.detail = v.until ? '自' + cnDate(v.until) + '起' : '';
      out.because = v.because ? '由' + shortCite(v.because) + what : '';
      return out;
    }
    if (v.starts) {
      // A period yet to begin: what it offers cannot be had today.
      out.badge = cnDate(v.starts) + '起施行' + (v.until ? '，有效至' + cnDate(v.until) : '');
      out.cls = 'not-yet';
      out.title = '自' + cnDate(v.starts) + '起施行，尚未生效';
      out.detail = '尚未生效';
    }
    if (v.because === 'clause') {
      out.because = '依本条所述期限';
    } else if (v.extended) {
      out.because = '经' + shortCite(v.because) + '延长';
    } else if (v.because) {
      out.because = '依' + shortCite(v.because) + (v.restates ? '（本条与其所载措施相同）' : '');
    }
    return out;
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
      var v = validityOf(c);
      var add = function (cls, text, title) {
        var span = document.createElement('span');
        span.className = cls;
        span.textContent = text;
        if (title) span.title = title;
        meta.appendChild(span);
      };
      if (v.badge) add('badge ' + v.cls, v.badge, v.title);
      if (v.detail) add('validity-detail', v.detail);
      if (v.because) add('because', v.because, c.validity.because === 'clause' ? '' : c.validity.because);
      if (c.issued) add('issued', '发布于 ' + cnDate(c.issued));
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
    // What other documents did to this one: its period alone would read
    // as current.
    if (doc.repealed_by) {
      parts.push('已被' + shortCite(doc.repealed_by) + '废止' + (doc.repealed_on ? '（' + doc.repealed_on + '起）' : ''));
    }
    if (doc.extended_by) {
      parts.push('经' + shortCite(doc.extended_by) + '延长至 ' + doc.extended_to);
    }
    (doc.parts_changed || []).forEach(function (p) {
      parts.push(p.part + '已被' + shortCite(p.by) + (p.amended ? '修改' : '废止') + (p.on ? '（' + p.on + '起）' : ''));
    });
    if (doc.newer) {
      parts.push('另有较新同名文件 ' + shortCite(doc.newer) + (doc.newer_issued ? '（' + doc.newer_issued + '）' : ''));
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
      if (ch.id) {
        sec.title = '条款编号：' + ch.id;
        // With the teaching row open, a click on a clause picks it.
        sec.addEventListener('click', function () {
          if (el.teach.hidden || (window.getSelection && String(window.getSelection()))) return;
          el['teach-chunk'].value = ch.id;
          el['teach-cited'].value = '';
          el['teach-none'].checked = false;
        });
      }
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
    if (!current || staleReason()) return;
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
    api('api/feedback', {
      id: entry.id, good: good, comment: el['feedback-comment'].value.trim(), staff: el['staff-name'].value.trim()
    })
      .then(function () {
        entry.mark = good ? 'good' : 'bad';
        saveCurrent();
        setStatus(el['feedback-status'], good ? '已标记为正确，谢谢！' : '已标记为错误，谢谢！', 'ok');
        if (entry === current) showTeach(entry);
      }).catch(function (err) {
        setStatus(el['feedback-status'], err.message, 'error');
      }).then(setButtons);
  }

  // --- teaching ------------------------------------------------------------

  // showTeach offers, under a draft marked wrong, to teach retrieval the
  // right clause — one of the cited, or any by its id — or that the
  // documents hold no answer.
  function showTeach(entry) {
    var open = !!(entry && entry.id && entry.mark === 'bad');
    el.teach.hidden = !open;
    var sel = el['teach-cited'];
    while (sel.options.length > 1) sel.remove(1);
    (entry && entry.citations || []).forEach(function (c) {
      if (!c.chunk_id) return;
      var o = document.createElement('option');
      o.value = c.chunk_id;
      o.textContent = '[' + c.n + '] 《' + (c.title || '') + '》' + (c.clause || '');
      sel.appendChild(o);
    });
    sel.value = '';
    el['teach-chunk'].value = '';
    el['teach-none'].checked = false;
    el['teach-save'].disabled = false;
    setStatus(el['teach-status'], entry && entry.taught ? '已教会。' : '');
  }

  function teach() {
    if (!current || !current.id) return;
    var entry = current;
    var chunk = el['teach-cited'].value || el['teach-chunk'].value.trim();
    var none = el['teach-none'].checked;
    if (!chunk && !none) {
      setStatus(el['teach-status'], '请选择正确条款、填写条款编号，或勾选“资料中没有答案”。', 'error');
      return;
    }
    var body = none ? { id: entry.id, none: true } : { id: entry.id, chunk_id: chunk };
    el['teach-save'].disabled = true;
    setStatus(el['teach-status'], '正在保存…');
    api('api/teach', body).then(function () {
      entry.taught = true;
      saveCurrent();
      setStatus(el['teach-status'], none ? '已记下：资料中没有答案。类似的问题将如实说明。' :
        '已教会：类似的问题将先引用这一条。', 'ok');
    }).catch(function (err) {
      setStatus(el['teach-status'], err.message, 'error');
    }).then(function () { el['teach-save'].disabled = false; });
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

  // --- adding documents ----------------------------------------------------

  // upload sends the chosen file; the reply is the document as read, so
  // staff see at once whether its title, 文号 and period came out right.
  function upload() {
    var input = document.getElementById('upload-file');
    var status = document.getElementById('upload-status');
    var file = input.files && input.files[0];
    if (!file) {
      setStatus(status, '请先选择文件。', 'error');
      return;
    }
    var form = new FormData();
    form.append('file', file, file.name);
    setStatus(status, '正在上传…');
    fetch('/api/documents', { method: 'POST', body: form, headers: { 'Accept': 'application/json' } })
      .then(function (res) {
        return res.json().catch(function () { return null; }).then(function (data) {
          if (!res.ok) {
            throw new Error((data && data.error) || ('上传失败（' + res.status + '）。'));
          }
          return data;
        });
      })
      .then(function (d) {
        var name = '《' + d.title + '》' + (d.doc_no ? '（' + d.doc_no + '）' : '');
        if (d.documents && d.documents.length > 1) {
          // A compilation: its documents were each read on their own.
          setStatus(status, '已添加汇编中的 ' + d.documents.length + ' 份文件，第一份为 ' + name + '。', 'ok');
        } else {
          var until = d.effective_until ? '，有效期至' + d.effective_until : '，未写明有效期';
          setStatus(status, '已添加 ' + name + until + '。', 'ok');
        }
        input.value = '';
      }, function (err) {
        setStatus(status, err.message, 'error');
      });
  }

  function initUpload() {
    var btn = document.getElementById('upload');
    if (btn) {
      btn.addEventListener('click', upload);
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', initUpload);
  } else {
    initUpload();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
