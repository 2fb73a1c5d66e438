
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
  // The key by phone: each group of five checked by its Damm check digit as it is typed.
  var pc=document.getElementById('phone-code'),pcs=document.getElementById('phone-code-status');
  if(pc&&pcs){
    var D=[[0,3,1,7,5,9,8,6,4,2],[7,0,9,2,1,5,4,8,6,3],[4,2,0,6,8,7,1,3,5,9],[1,7,5,0,9,8,3,4,2,6],[6,1,2,3,0,4,5,9,7,8],
      [3,6,7,4,2,0,9,5,8,1],[5,8,6,9,7,2,0,1,3,4],[8,9,4,5,3,6,2,0,1,7],[9,4,3,8,6,1,7,2,0,5],[2,5,8,1,4,3,6,7,9,0]];
    pc.addEventListener('input',function(){
      var d=pc.value.replace(/[^0-9]/g,''),bad=[];
      for(var g=0;g*5+5<=d.length&&g<6;g++){var s=g;for(var i=0;i<5;i++)s=D[s][+d[g*5+i]];if(s!==0)bad.push(g+1);}
      pcs.textContent=/[^0-9\s-]/.test(pc.value)?'код состоит только из цифр':bad.length===1?'группа '+bad[0]+' введена с ошибкой':bad.length?'группы '+bad.join(', ')+' введены с ошибкой':
        d.length>30?'лишние цифры: в коде 30 цифр':d.length===30?'все 6 групп введены верно':'введено групп: '+Math.floor(d.length/5)+' из 6';
    });
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
