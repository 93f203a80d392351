let last = performance.now(); const t0 = last; const gaps = [];
const iv = setInterval(() => { const now = performance.now(); if (now - last > 40) gaps.push(`${(last - t0).toFixed(0)}+${(now - last).toFixed(0)}`); last = now; }, 5);
setTimeout(() => { clearInterval(iv); console.log('idle gaps', gaps.join(' ')); }, 8000);
