//! The UI's own CSS and script, embedded in the binary and served by the box (it is offline).
//! The script only adds live touches (countdowns on the box's clock, the desk's live feed);
//! every page works and prints without it.

use axum::http::header;
use axum::response::IntoResponse;

pub const CSS: &str = r#"
*{box-sizing:border-box}
body{font:16px/1.45 "DejaVu Sans",Arial,sans-serif;margin:0;color:#1b1b1b;background:#f4f5f7}
header{background:#0d47a1;color:#fff;padding:8px 14px;display:flex;flex-wrap:wrap;align-items:center;gap:10px}
header h1{font-size:20px;margin:0 8px 0 0}header a{color:#fff;text-decoration:none}
nav{display:flex;flex-wrap:wrap;gap:4px;flex:1}nav a{padding:6px 10px;border-radius:4px;background:#1565c0}nav a:hover{background:#1e88e5}
.user{font-size:14px}form.inline{display:inline;margin:0}
main{padding:12px 16px;max-width:1200px}h2{margin:6px 0 12px}h3{margin:14px 0 8px}
.alarms{background:#b71c1c;color:#fff;padding:6px 16px}.alarms p{margin:4px 0;font-weight:bold}
.panel{background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002;padding:12px 16px;margin-bottom:14px}
.narrow{max-width:420px}.error{color:#b71c1c}.ok{background:#e8f5e9;border-left:4px solid #2e7d32;padding:8px 12px;margin-bottom:12px}
.next{font-size:24px;font-weight:bold;background:#fff8e1;border-left:6px solid #ff8f00;padding:14px 18px;margin-bottom:14px;border-radius:6px}
.timeline{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:10px}
.tl{background:#fff;border-radius:8px;padding:10px 12px;box-shadow:0 1px 3px #0002}.tl b{display:block;font-size:13px;color:#555}
.tl .countdown{font-size:22px;font-weight:bold}.tl.past{opacity:.55}
label{display:block;margin:6px 0}input,select,button,textarea{font:inherit;padding:6px 8px;border:1px solid #bbb;border-radius:4px}
button,.button{background:#e3e7ee;cursor:pointer;border:1px solid #aab;display:inline-block;padding:6px 12px;color:#111;text-decoration:none;border-radius:4px}
button.primary{background:#0d47a1;color:#fff;border-color:#0d47a1}button.danger{background:#c62828;color:#fff;border-color:#c62828}
form.row{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-end;margin:6px 0}form.row label{margin:0}
table{border-collapse:collapse;width:100%;background:#fff}th,td{padding:5px 8px;border-bottom:1px solid #e5e5e5;text-align:left;vertical-align:top}
th{background:#e8eaf6;font-size:13px}td form{margin:0;display:inline}
.grid td{border:1px solid #ccc;width:90px;height:54px;font-size:12px;text-align:center}.grid td.off{background:#eee}.grid td.taken{background:#e3f2fd}
.badge{display:inline-block;border-radius:10px;padding:1px 9px;font-size:13px;background:#ddd}.badge.good{background:#c8e6c9}.badge.bad{background:#ffcdd2}.badge.warn{background:#ffe0b2}
progress{width:240px;height:18px}.small{font-size:13px;color:#555}img.scan{max-width:260px;border:1px solid #ccc}
@media print{header,nav,form,button,.alarms,.next{display:none!important}body{background:#fff}.panel{box-shadow:none}}
@media (max-width:800px){body{font-size:17px}nav a{padding:8px 10px}}
"#;

pub const JS: &str = r#"
(function(){
  document.querySelectorAll('form[method=get] select[name=exam]').forEach(function(s){s.addEventListener('change',function(){s.form.submit();});});
  var clock=document.getElementById('clock');
  if(clock){
    var t0=Date.parse(clock.dataset.now),speed=parseFloat(clock.dataset.speed||'1'),w0=Date.now();
    var fmt=function(ms){var s=Math.round(Math.abs(ms)/1000),h=Math.floor(s/3600),m=Math.floor(s%3600/60),x=s%60;
      var t=(h?h+' ч ':'')+(h||m?m+' мин ':'')+(h?'':x+' с');return ms>=0?'через '+t:t+' назад';};
    var tick=function(){var now=t0+(Date.now()-w0)*speed;
      document.querySelectorAll('[data-t]').forEach(function(e){var d=Date.parse(e.dataset.t)-now;var c=e.querySelector('.countdown');if(c)c.textContent=fmt(d);e.classList.toggle('past',d<0);});
      var n=document.getElementById('now');if(n)n.textContent=new Date(now).toISOString().slice(0,16).replace('T',' ')+' UTC';};
    tick();setInterval(tick,1000);
  }
  var feed=document.getElementById('desk-feed');
  if(feed&&window.EventSource){
    var es=new EventSource('/desk/events');
    es.onmessage=function(m){var e=JSON.parse(m.data),li=document.createElement('li');
      if(e.kind==='recorded'){li.textContent=e.at+': '+(e.direction==='issue'?'выдача в':'возврат из')+' аудитории '+e.auditorium+' — '+e.sheet.kind+' № '+e.sheet.number;li.className='okline';}
      else if(e.kind==='refused'){li.textContent='Отклонено: '+e.reason+' ('+e.code+')';li.className='error';}
      else{li.textContent='Сканер: '+(e.event==='connected'?'подключён '+e.port:e.event==='disconnected'?'отключён ('+e.reason+')':e.code);}
      feed.insertBefore(li,feed.firstChild);};
  }
})();
"#;

pub async fn css() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")], CSS)
}

pub async fn js() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")], JS)
}
