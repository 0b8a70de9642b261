#!/usr/bin/env python3
"""An independent reimplementation of the flag rules of domain.md in plain Python, run over the
sample files and compared, employer by employer, with what Patuh computed.
Usage: scripts/check-sample-flags.py DATABASE_URL   (a database where `patuh seed-demo` ran,
with today's rates: UMP 2026 and the JP cap of March 2025 are assumed below)."""
import csv, math, subprocess, json, sys
from decimal import Decimal as D
import os; S=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'internal', 'demo', 'samples') + '/'
emp=list(csv.DictReader(open(S+'employers.csv')))
bp=list(csv.DictReader(open(S+'bpjs_employers.csv')))
wk=list(csv.DictReader(open(S+'workers.csv')))
pt=list(csv.DictReader(open(S+'participants.csv')))
def npwp16(s):
    s=s.replace('.','').replace('-','')
    return '0'+s if len(s)==15 else s
rates={'JKK':D('0.0024'),'JKM':D('0.0030'),'JHT':D('0.057'),'JP':D('0.03')}
cap=D(10547400); ump=D(5729876)
mand={'besar':['JKK','JKM','JHT','JP'],'menengah':['JKK','JKM','JHT','JP'],'kecil':['JKK','JKM','JHT'],'mikro':['JKK','JKM']}
def estimated(active):
    # An unknown scale (BPJS only) is estimated from the active participants by the BPS bands.
    return 'besar' if active>=100 else 'menengah' if active>=20 else 'kecil' if active>=5 else 'mikro'
def contrib(w,progs):
    w=D(w); t=D(0)
    for p in progs:
        t+= (min(w,cap) if p=='JP' else w)*rates[p]
    return t
E={}
for e in emp:
    key=e['nib'] or 'npwp:'+npwp16(e['npwp'])
    E[key]=dict(nib=e['nib'] or None,npwp=npwp16(e['npwp']) if e['npwp'] else None,nama=e['nama'],skala=e['skala'],jp=int(e['jumlah_pekerja']),npps=[],roster={})
def find(nib,npwp):
    if nib:
        for k,e in E.items():
            if e['nib']==nib: return k
    if npwp:
        for k,e in E.items():
            if e['npwp']==npwp: return k
    return None
for b in bp:
    k=find(b['nib'],npwp16(b['npwp']) if b['npwp'] else None)
    if k is None:
        k='npp:'+(b['nib'] or npwp16(b['npwp']))
        E.setdefault(k,dict(nib=b['nib'] or None,npwp=npwp16(b['npwp']) if b['npwp'] else None,nama=b['nama'],skala=None,jp=None,npps=[],roster={}))
    E[k]['npps'].append(b)
for w in wk:
    k=find(w['nib'],npwp16(w['npwp']) if w['npwp'] else None)
    E[k]['roster'][w['nik']]=int(w['upah'])
act={}
for p in pt:
    if p['status']=='aktif':
        d=act.setdefault(p['npp'],{})
        d[p['nik']]=max(d.get(p['nik'],0),int(p['upah']))
yn=lambda v: v.strip().upper() in ('Y','1','YA')
out={}
for k,e in E.items():
    flags={}
    A={}
    for b in e['npps']:
        for nik,u in act.get(b['npp'],{}).items(): A[nik]=max(A.get(nik,0),u)
    skala=e['skala'] or estimated(len(A))
    m=mand[skala]
    R=e['roster']
    if not e['npps']:
        n=max(e['jp'] or 0,len(R))
        if n>=1: flags['PWBD']=(n,math.floor(n*contrib(ump,m)))
    else:
        if R:
            un=[n for n in R if n not in A]
            if un: flags['PDS_TK']=(len(un),math.floor(sum(contrib(R[n],m) for n in un)))
        elif e['jp'] is not None and e['jp']-len(A)>0:
            n=e['jp']-len(A); flags['PDS_TK']=(n,math.floor(n*contrib(ump,m)))
        under=[]
        for nik,u in A.items():
            paid = R[nik] if nik in R else (ump if skala not in ('mikro','kecil') else None)
            if paid is not None and paid>u: under.append((paid,u))
        if under: flags['PDS_UPAH']=(len(under),math.floor(sum(contrib(p,m)-contrib(u,m) for p,u in under)))
        progs=set(p for b in e['npps'] for p in ('JKK','JKM','JHT','JP') if yn(b[p.lower()]))
        miss=[p for p in m if p not in progs]
        if miss: flags['PDS_PROGRAM']=(len(A),math.floor(sum(contrib(u,miss) for u in A.values())))
        mm=max(int(b['tunggakan_bulan'] or 0) for b in e['npps']); rp=sum(int(b['tunggakan_rp'] or 0) for b in e['npps'])
        if mm>=1: flags['MENUNGGAK']=(0,math.floor(D(rp)/mm))
    out[(e['nib'] or '', e['npwp'] or '')]=(e['nama'],flags)
# compare with db
db=sys.argv[1]
rows=subprocess.run(['psql',db,'-X','-At','-F','|','-c',"select coalesce(e.nib,''),coalesce(e.npwp,''),coalesce(string_agg(f.code||':'||f.workers||':'||f.shortfall_rp, ',' order by f.code),'') from employers e left join employer_flags f on f.employer_id=e.id group by e.id"],capture_output=True,text=True).stdout.strip().split('\n')
got={}
for r in rows:
    nib,npwp,fl=r.split('|'); d={}
    for x in filter(None,fl.split(',')):
        c,w,s=x.split(':'); d[c]=(int(w),int(s))
    got[(nib,npwp)]=d
bad=0
for k,(nama,fl) in out.items():
    if got.get(k)!=fl:
        bad+=1
        if bad<6: print('MISMATCH',k,nama,'ref',fl,'db',got.get(k))
print('employers',len(out),'db',len(got),'mismatches',bad)
import collections
c=collections.Counter(code for _,fl in out.values() for code in fl); print(c)
