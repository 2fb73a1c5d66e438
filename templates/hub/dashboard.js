const $=id=>document.getElementById(id);
function esc(s){return String(s??'').replace(/[&<>"']/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c]));}
function dur(ms){const m=Math.floor(ms/60000);if(m>=60)return Math.floor(m/60)+' ч '+String(m%60).padStart(2,'0')+' мин';if(m>=1)return m+' мин';return Math.max(0,Math.floor(ms/1000))+' с';}
function left(dl,now){const d=Date.parse(dl)-now;return d<0?'−'+dur(-d):dur(d);}
function hm(t){if(!t)return '';const d=new Date(Date.parse(t)+OFFSET_MIN*60000);return String(d.getUTCHours()).padStart(2,'0')+':'+String(d.getUTCMinutes()).padStart(2,'0');}
function bytes(b){const u=['Б','КБ','МБ','ГБ','ТБ'];let v=b,i=0;while(v>=1024&&i<u.length-1){v/=1024;i++;}return i==0?b+' Б':v.toFixed(1)+' '+u[i];}
function off(ms){const s=ms<0?'−':'+',a=Math.abs(ms);return a<60000?s+(a/1000).toFixed(1)+' с':s+Math.floor(a/60000)+' мин '+Math.floor((a%60000)/1000)+' с';}
function upload(r){if(!r.bytes_total&&!r.files_total)return r.receipt_id?'квитанция получена':'—';const p=r.bytes_total?Math.floor(Math.min(r.bytes_done,r.bytes_total)*100/r.bytes_total):0;
 const rate=r.rate_bytes_per_second!=null?' · '+bytes(r.rate_bytes_per_second)+'/с':'';
 return '<progress max="100" value="'+p+'" aria-label="выгрузка"></progress> '+p+'%<small>'+bytes(r.bytes_done)+' из '+bytes(r.bytes_total)+' · файлов '+r.files_done+'/'+r.files_total+rate+'</small>';}
const FT={recording:'записи',answer_file:'файлы ответов'};
function files(f){if(!f||!f.kind)return '';return '<small class="files">'+esc(FT[f.kind]||'файлы участников')+': '+f.taken+'/'+f.expected+', принято '+f.received+', проверено '+f.verified+'</small>';}
function apply(r){const tr=$('r-'+r.exam_id+'-'+r.ppe_code);if(!tr)return false;const h=T.health[r.health];const c=tr.cells;
 const moved=tr.dataset.sev!=String(h[2]);tr.dataset.sev=h[2];tr.dataset.deadline=r.deadline;tr.dataset.seen=r.last_seen_at||'';
 c[0].innerHTML='<span class="badge" style="background:'+h[1]+'">'+esc(h[0])+'</span><small class="reason">'+esc(r.reason)+'</small>';
 c[3].innerHTML=esc(T.stage[r.stage]||r.stage)+'<small>'+(r.stage_since?'с '+hm(r.stage_since):'')+'</small>';
 c[4].innerHTML=upload(r);
 c[5].innerHTML=r.pages_scanned+'/'+r.pages_expected+'<small>принято '+r.pages_received+', проверено '+r.pages_verified+'</small>'+files(r.files);
 c[8].textContent=r.clock_offset_ms!=null?off(r.clock_offset_ms):'';
 c[9].textContent=[r.last_error].concat(r.alarms||[]).filter(Boolean).join('; ');
 tr.classList.add('fresh');return moved;}
function summary(s){for(const k of ['points','done','on_track','at_risk','stalled','late','silent','not_started']){const e=$('t-'+k);if(e)e.textContent=s.totals[k];}
 const f=s.funnel;for(const k of ['expected','scanned','received','verified']){$('f-'+k).textContent=f[k];$('fb-'+k).style.width=(f.expected?Math.min(100,Math.floor(f[k]*100/f.expected)):0)+'%';}
 const g=FILES&&s[FILES];if(g)for(const k of ['expected','taken','received','verified']){$('ff-'+k).textContent=g[k];$('ffb-'+k).style.width=(g.expected?Math.min(100,Math.floor(g[k]*100/g.expected)):0)+'%';}
 const p=s.prestart;$('p-current').textContent=p.current_version_verified;$('p-outdated').textContent=p.outdated_version;$('p-released').textContent=p.key_released;$('p-received').textContent=p.key_received;$('p-printed').textContent=p.printed;}
function sortRows(){const tb=$('rows');const rows=Array.from(tb.rows);rows.sort((a,b)=>(a.dataset.sev-b.dataset.sev)||(a.dataset.deadline<b.dataset.deadline?-1:a.dataset.deadline>b.dataset.deadline?1:0)||(a.dataset.code<b.dataset.code?-1:1));
 const frag=document.createDocumentFragment();rows.forEach(r=>frag.appendChild(r));tb.appendChild(frag);}
function clocks(){const now=Date.now()+skew;$('now').textContent=hm(new Date(now).toISOString());
 for(const tr of $('rows').rows){tr.cells[6].textContent=left(tr.dataset.deadline,now);tr.cells[7].textContent=tr.dataset.seen?dur(now-Date.parse(tr.dataset.seen))+' назад':'никогда';}}
let last=SEQ;
function connect(){const es=new EventSource('/v1/events?since='+last);
 es.onopen=()=>{$('live').textContent='● обновляется';$('live').style.color='#2e7d32';};
 es.onerror=()=>{$('live').textContent='● нет связи с РЦОИ, переподключение…';$('live').style.color='#b71c1c';};
 es.onmessage=e=>{const m=JSON.parse(e.data);if(m.seq<=last&&m.rows.length==0)return;last=Math.max(last,m.seq);skew=Date.parse(m.now)-Date.now();let moved=false;
  for(const r of m.rows){if(r.exam_id!==EXAM)continue;if(ATE&&r.ate_code!==ATE)continue;if(apply(r))moved=true;}
  if(moved)sortRows();const s=m.summaries[ATE?EXAM+'|'+ATE:EXAM];if(s)summary(s);clocks();};}
connect();setInterval(clocks,1000);
