// WebAuthn in the browser for the ГЭК member's security key (shared by the dashboard and the
// box UI; embedded, no CDN). webauthn-rs speaks base64url for binary fields; the browser wants
// ArrayBuffers.
const B64U={dec:s=>Uint8Array.from(atob(s.replace(/-/g,'+').replace(/_/g,'/')+'==='.slice((s.length+3)%4)),c=>c.charCodeAt(0)).buffer,
enc:b=>btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g,'-').replace(/\//g,'_').replace(/=+$/,'')};
function gekCreateOptions(o){const p=Object.assign({},o.publicKey);p.challenge=B64U.dec(p.challenge);p.user=Object.assign({},p.user,{id:B64U.dec(p.user.id)});
if(p.excludeCredentials)p.excludeCredentials=p.excludeCredentials.map(c=>Object.assign({},c,{id:B64U.dec(c.id)}));return {publicKey:p};}
function gekGetOptions(o){const p=Object.assign({},o.publicKey);p.challenge=B64U.dec(p.challenge);
if(p.allowCredentials)p.allowCredentials=p.allowCredentials.map(c=>Object.assign({},c,{id:B64U.dec(c.id)}));return {publicKey:p};}
function gekRegistered(c){return {id:c.id,rawId:B64U.enc(c.rawId),type:c.type,extensions:c.getClientExtensionResults(),
response:{attestationObject:B64U.enc(c.response.attestationObject),clientDataJSON:B64U.enc(c.response.clientDataJSON)}};}
function gekAsserted(c){const r=c.response;return {id:c.id,rawId:B64U.enc(c.rawId),type:c.type,extensions:c.getClientExtensionResults(),
response:{authenticatorData:B64U.enc(r.authenticatorData),clientDataJSON:B64U.enc(r.clientDataJSON),signature:B64U.enc(r.signature),userHandle:r.userHandle?B64U.enc(r.userHandle):null}};}
async function gekPost(url,body){const r=await fetch(url,{method:'POST',headers:{'Content-Type':'application/json'},body:JSON.stringify(body),credentials:'same-origin'});
let j={};try{j=await r.json();}catch(e){}if(!r.ok)throw new Error(j.message||j.error||('HTTP '+r.status));return j;}
