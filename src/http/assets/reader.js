'use strict';

// WhepReader: plays one stream from a WHEP endpoint and keeps retrying until closed.
// Written for Sluice; its wire behaviour matches what MediaMTX-compatible servers expect:
//   OPTIONS <whep>            -> ICE servers from the Link headers
//   POST <whep> (offer SDP)   -> 201, Location = session URL, body = answer SDP
//   PATCH <session>           -> our trickled candidates (If-Match: *), 204 expected
//   DELETE <session>          -> on error, before retrying, and when the page goes away
(function (global) {
  const RETRY_PAUSE_MS = 2000;

  // Splits a (possibly comma-joined) Link header value into its entries, keeping commas
  // that sit inside <...> or quoted strings.
  function splitLinkHeader(value) {
    const entries = [];
    let current = '';
    let inQuote = false;
    let inAngle = false;
    for (let i = 0; i < value.length; i++) {
      const ch = value[i];
      if (inQuote && ch === '\\' && i + 1 < value.length) {
        current += ch + value[++i];
        continue;
      }
      if (ch === '"' && !inAngle) inQuote = !inQuote;
      else if (ch === '<' && !inQuote) inAngle = true;
      else if (ch === '>' && !inQuote) inAngle = false;
      if (ch === ',' && !inQuote && !inAngle) {
        entries.push(current);
        current = '';
      } else {
        current += ch;
      }
    }
    if (current.trim() !== '') entries.push(current);
    return entries;
  }

  // '<turn:h:3478>; rel="ice-server"; username="u"; credential="p"; credential-type="password"'
  // -> [{urls: ['turn:h:3478'], username: 'u', credential: 'p'}]
  function parseLinkHeader(value) {
    const servers = [];
    if (!value) return servers;
    for (const entry of splitLinkHeader(value)) {
      const m = entry.match(/^\s*<([^>]*)>(.*)$/s);
      if (!m || m[1] === '') continue;
      const params = {};
      const re = /;\s*([A-Za-z0-9_.-]+)\s*(?:=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*)))?/g;
      let p;
      while ((p = re.exec(m[2])) !== null) {
        params[p[1].toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] || '');
      }
      if (params.rel !== 'ice-server') continue;
      const server = { urls: [m[1]] };
      if (params.username !== undefined) {
        server.username = params.username;
        server.credential = params.credential || '';
      }
      servers.push(server);
    }
    return servers;
  }

  // What a trickle PATCH needs from our offer: ICE credentials and the m= lines.
  function parseOffer(sdp) {
    const offer = { iceUfrag: '', icePwd: '', medias: [] };
    for (const line of sdp.split(/\r?\n/)) {
      if (line.startsWith('m=')) offer.medias.push(line.slice(2));
      else if (!offer.iceUfrag && line.startsWith('a=ice-ufrag:')) offer.iceUfrag = line.slice('a=ice-ufrag:'.length);
      else if (!offer.icePwd && line.startsWith('a=ice-pwd:')) offer.icePwd = line.slice('a=ice-pwd:'.length);
    }
    return offer;
  }

  // RFC 8840 SDP fragment carrying candidates, one media section per m-line they belong
  // to. The mid is numeric, as MediaMTX-compatible servers require.
  function generateSdpFragment(offer, candidates) {
    const byMedia = new Map();
    for (const c of candidates) {
      if (c.sdpMLineIndex === null || c.sdpMLineIndex === undefined) continue;
      if (!byMedia.has(c.sdpMLineIndex)) byMedia.set(c.sdpMLineIndex, []);
      byMedia.get(c.sdpMLineIndex).push(c);
    }
    let frag = 'a=ice-ufrag:' + offer.iceUfrag + '\r\n' + 'a=ice-pwd:' + offer.icePwd + '\r\n';
    for (let index = 0; index < offer.medias.length; index++) {
      const list = byMedia.get(index);
      if (list === undefined) continue;
      const mid = list[0].sdpMid !== null && /^[0-9]+$/.test(String(list[0].sdpMid)) ? list[0].sdpMid : index;
      frag += 'm=' + offer.medias[index] + '\r\n' + 'a=mid:' + mid + '\r\n';
      for (const c of list) frag += 'a=' + c.candidate + '\r\n';
    }
    return frag;
  }

  function basicAuthorization(user, pass) {
    const bytes = new TextEncoder().encode(user + ':' + pass);
    let binary = '';
    for (const b of bytes) binary += String.fromCharCode(b);
    return 'Basic ' + btoa(binary);
  }

  // Headers for {user, pass} (Basic) or {token} (Bearer); also used by the camera wall
  // for its path list, so that the list and the streams are asked for with the same identity.
  function authHeaders(conf) {
    if (conf.user) return { Authorization: basicAuthorization(conf.user, conf.pass || '') };
    if (conf.token) return { Authorization: 'Bearer ' + conf.token };
    return {};
  }

  function errorText(err) {
    if (err instanceof Error) return err.message;
    return String(err);
  }

  class WhepReader {
    // conf: {url, user, pass, token, onTrack(evt), onStateChange(state, lastError)}
    // state: 'idle' | 'connecting' | 'playing' | 'error' | 'closed'
    constructor(conf) {
      this.conf = conf;
      this.state = 'idle';
      this.lastError = '';
      this.sessionUrl = null;
      this.pc = null;
      this.offer = null;
      this.queuedCandidates = [];
      this.retryTimer = null;
      this.closed = false;
      // Every attempt gets a number; callbacks of an abandoned attempt compare it and
      // do nothing, so a late answer can never revive a torn-down connection.
      this.attempt = 0;
    }

    start() {
      if (this.closed || this.state !== 'idle') return;
      this._connect();
    }

    // Ends playback for good (page unload): tears down and DELETEs the session.
    close() {
      if (this.closed) return;
      this.closed = true;
      this.attempt++;
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this._teardown();
      this._setState('closed');
    }

    _authHeaders() {
      return authHeaders(this.conf);
    }

    _setState(state, error) {
      this.state = state;
      if (error !== undefined) this.lastError = error;
      if (this.conf.onStateChange) this.conf.onStateChange(state, this.lastError);
    }

    async _connect() {
      const attempt = ++this.attempt;
      this._setState('connecting');
      try {
        const iceServers = await this._requestIceServers();
        if (attempt !== this.attempt) return;

        const pc = new RTCPeerConnection({ iceServers });
        this.pc = pc;
        pc.addTransceiver('video', { direction: 'recvonly' });
        pc.addTransceiver('audio', { direction: 'recvonly' });
        pc.onicecandidate = (evt) => this._onLocalCandidate(attempt, evt);
        pc.onconnectionstatechange = () => this._onConnectionStateChange(attempt);
        pc.ontrack = (evt) => {
          if (attempt === this.attempt && this.conf.onTrack) this.conf.onTrack(evt);
        };

        const offer = await pc.createOffer();
        if (attempt !== this.attempt) return;
        this.offer = parseOffer(offer.sdp);
        await pc.setLocalDescription(offer);
        if (attempt !== this.attempt) return;

        const answer = await this._postOffer(attempt, offer.sdp);
        if (attempt !== this.attempt) return;
        await pc.setRemoteDescription({ type: 'answer', sdp: answer });
        if (attempt !== this.attempt) return;
        this._watchDtls(attempt, pc);
        this._flushCandidates(attempt);
      } catch (err) {
        if (attempt === this.attempt) this._fail(err);
      }
    }

    async _requestIceServers() {
      const res = await fetch(this.conf.url, { method: 'OPTIONS', headers: this._authHeaders() });
      return parseLinkHeader(res.headers.get('Link'));
    }

    async _postOffer(attempt, sdp) {
      const res = await fetch(this.conf.url, {
        method: 'POST',
        headers: Object.assign({ 'Content-Type': 'application/sdp' }, this._authHeaders()),
        body: sdp,
      });
      if (res.status === 404) throw new Error('stream not found');
      if (res.status === 400) {
        let message = 'bad request';
        try {
          const body = await res.json();
          if (body && body.error) message = body.error;
        } catch (e) {
          // keep the generic message
        }
        throw new Error(message);
      }
      if (res.status !== 201) throw new Error('bad status code ' + res.status);

      const location = res.headers.get('Location');
      if (!location) throw new Error('response has no Location header');
      const sessionUrl = new URL(location, this.conf.url).toString();
      if (attempt !== this.attempt) {
        // Abandoned while the server was answering: free the session right away.
        this._deleteSession(sessionUrl);
        return '';
      }
      this.sessionUrl = sessionUrl;
      return res.text();
    }

    _onLocalCandidate(attempt, evt) {
      if (attempt !== this.attempt || !evt.candidate) return;
      if (this.sessionUrl === null) {
        this.queuedCandidates.push(evt.candidate);
      } else {
        this._sendCandidates(attempt, [evt.candidate]);
      }
    }

    _flushCandidates(attempt) {
      const candidates = this.queuedCandidates;
      this.queuedCandidates = [];
      if (candidates.length !== 0) this._sendCandidates(attempt, candidates);
    }

    _sendCandidates(attempt, candidates) {
      fetch(this.sessionUrl, {
        method: 'PATCH',
        headers: Object.assign(
          { 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': '*' },
          this._authHeaders(),
        ),
        body: generateSdpFragment(this.offer, candidates),
      })
        .then((res) => {
          if (res.status === 204) return;
          if (res.status === 404) throw new Error('stream not found');
          throw new Error('bad status code ' + res.status);
        })
        .catch((err) => {
          if (attempt === this.attempt) this._fail(err);
        });
    }

    _onConnectionStateChange(attempt) {
      if (attempt !== this.attempt || this.pc === null) return;
      const s = this.pc.connectionState;
      if (s === 'connected') {
        this._setState('playing');
      } else if (s === 'failed' || s === 'closed') {
        this._fail(new Error('peer connection ' + s));
      }
    }

    // A server that ends the session (kick, path removed) closes DTLS; the connection state
    // alone would stay 'connected' until ICE consent expires, many seconds later.
    _watchDtls(attempt, pc) {
      const transports = new Set();
      for (const receiver of pc.getReceivers()) {
        if (receiver.transport) transports.add(receiver.transport);
      }
      for (const transport of transports) {
        transport.onstatechange = () => {
          if (attempt !== this.attempt) return;
          if (transport.state === 'closed' || transport.state === 'failed') {
            this._fail(new Error('session closed by the server'));
          }
        };
      }
    }

    _fail(err) {
      if (this.closed) return;
      this.attempt++;
      this._teardown();
      this._setState('error', errorText(err));
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (!this.closed) this._connect();
      }, RETRY_PAUSE_MS);
    }

    _teardown() {
      if (this.pc !== null) {
        this.pc.onicecandidate = null;
        this.pc.onconnectionstatechange = null;
        this.pc.ontrack = null;
        this.pc.close();
        this.pc = null;
      }
      if (this.sessionUrl !== null) {
        this._deleteSession(this.sessionUrl);
        this.sessionUrl = null;
      }
      this.queuedCandidates = [];
      this.offer = null;
    }

    _deleteSession(url) {
      // keepalive lets the request outlive the page during beforeunload.
      fetch(url, { method: 'DELETE', headers: this._authHeaders(), keepalive: true }).catch(() => {});
    }
  }

  WhepReader.RETRY_PAUSE_MS = RETRY_PAUSE_MS;
  WhepReader.parseLinkHeader = parseLinkHeader;
  WhepReader.parseOffer = parseOffer;
  WhepReader.generateSdpFragment = generateSdpFragment;
  WhepReader.authHeaders = authHeaders;

  global.WhepReader = WhepReader;
  if (typeof module !== 'undefined' && module.exports) module.exports = WhepReader;
})(typeof window !== 'undefined' ? window : globalThis);
