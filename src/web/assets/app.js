
(function(){
  // The exam picker submits on change (an inline handler would be refused by the page's CSP).
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
