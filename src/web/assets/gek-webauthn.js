// The activation panel's security key: the box asks the hub for a challenge for the logged-in
// ГЭК member, the member touches their key, the box relays the assertion with its key request.
document.addEventListener('DOMContentLoaded',()=>{const p=document.getElementById('gek-security-key');if(!p)return;
const b=p.querySelector('button'),st=p.querySelector('.status');
b.addEventListener('click',async ev=>{ev.preventDefault();b.disabled=true;st.textContent='Коснитесь ключа безопасности…';
try{const s=await gekPost('/materials/activate/security-key/start',{csrf:p.dataset.csrf,exam:p.dataset.exam});
const c=await navigator.credentials.get(gekGetOptions(s.options));
await gekPost('/materials/activate/security-key/finish',{csrf:p.dataset.csrf,exam:p.dataset.exam,challenge:s.challenge,credential:gekAsserted(c)});
location.href='/materials?exam='+encodeURIComponent(p.dataset.exam);}
catch(e){st.textContent='Ошибка: '+e.message;b.disabled=false;}});});
