import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findMac, identifyPhone, normaliseMac, parseEvent, provisioningUrl, type PhoneBrand } from '../../../src/pnp/index.js';

const MAC_SPELLINGS: ReadonlyArray<readonly [string, string | undefined]> = [
  ['sip:MAC001565f4f9e1@224.0.1.75', '001565f4f9e1'],
  ['sip:MAC%3AC074AD112233@224.0.1.75', 'c074ad112233'],
  ['sip:MAC%3a00135E874B49@fake', '00135e874b49'],
  ['sip:MAC:0c383e63963b@224.0.1.75', '0c383e63963b'],
  ['<sip:MAC=00304fa99948@224.0.1.75>;tag=1', '00304fa99948'],
  ['sip:224.0.1.75:5060', undefined],
  ['sip:00000001@10.13.2.37:5060', undefined],
  ['sip:MAC001565f4f9e1a@224.0.1.75', undefined],
  ['sip:MAC%3b001565f4f9e1@224.0.1.75', undefined],
];

for (const [text, mac] of MAC_SPELLINGS) {
  test(`findMac(${text}) = ${mac ?? 'none'}`, () => {
    assert.equal(findMac([text]), mac);
  });
}

test('findMac takes the first header that has one, in the order given', () => {
  assert.equal(findMac([undefined, 'sip:224.0.1.75', '<sip:MAC=00304fa99948@x>', 'sip:MAC001565f4f9e1@y']), '00304fa99948');
});

test('normaliseMac accepts the usual separators and refuses anything else', () => {
  assert.equal(normaliseMac('00:15:65:F4:F9:E1'), '001565f4f9e1');
  assert.equal(normaliseMac('00-15-65-f4-f9-e1'), '001565f4f9e1');
  assert.equal(normaliseMac('001565F4F9E1'), '001565f4f9e1');
  for (const bad of ['', '001565f4f9e', '001565f4f9e1f', 'zz1565f4f9e1', 'ip:10.0.0.1']) assert.equal(normaliseMac(bad), undefined, bad);
});

test('parseEvent: quoted and bare values, vendor and vender, no space, case of names', () => {
  const quoted = parseEvent('ua-profile;profile-type="device";vendor="Grandstream";model="GRP2612W";version="1.0.5.67"');
  assert.equal(quoted?.package, 'ua-profile');
  assert.deepEqual([...(quoted?.params ?? [])], [['profile-type', 'device'], ['vendor', 'Grandstream'], ['model', 'GRP2612W'], ['version', '1.0.5.67']]);
  const bare = parseEvent('UA-Profile ; Vender=Panasonic;MODEL=KX-HDV130');
  assert.equal(bare?.package, 'ua-profile');
  assert.equal(bare?.params.get('vender'), 'Panasonic');
  assert.equal(bare?.params.get('model'), 'KX-HDV130');
  assert.equal(parseEvent('ua-profile;model="a;b"')?.params.get('model'), 'a;b');
  assert.equal(parseEvent(''), undefined);
  assert.equal(parseEvent(';vendor=x'), undefined);
});

const BRANDS: ReadonlyArray<readonly [string, { mac?: string; ua?: string; event: string }, PhoneBrand]> = [
  ['OUI wins over a generic Event', { mac: 'MAC0c383e63963b', event: 'ua-profile;vendor="OEM";model="OEM"' }, 'fanvil'],
  ['User-Agent when the OUI is unknown', { mac: 'MACaabbccddeeff', ua: 'Yealink SIP-T21P 34.72.14.6', event: 'ua-profile' }, 'yealink'],
  ['Event vendor= as a last resort', { event: 'ua-profile;vendor="snom"' }, 'snom'],
  ['Event vender= (Panasonic)', { event: 'ua-profile;vender=Panasonic' }, 'panasonic'],
  ['AudioCodes User-Agent', { ua: 'AUDC-IPPhone/1.2.1_build_6', event: 'ua-profile;profile-type="application"' }, 'audiocodes'],
  ['nothing to go on', { event: 'ua-profile;vendor="OEM"' }, 'unknown'],
];

for (const [name, input, brand] of BRANDS) {
  test(`brand: ${name} → ${brand}`, () => {
    const event = parseEvent(input.event);
    assert.ok(event !== undefined);
    const id = identifyPhone({ requestUri: `sip:${input.mac ?? ''}@224.0.1.75`, from: undefined, to: undefined, contact: undefined, userAgent: input.ua, event });
    assert.equal(id.brand, brand);
  });
}

test('model and firmware from the User-Agent when the Event has none', () => {
  const event = parseEvent('ua-profile');
  assert.ok(event !== undefined);
  const id = identifyPhone({ requestUri: 'sip:224.0.1.75', from: undefined, to: undefined, contact: undefined, userAgent: 'snomD120/10.1.39.11', event });
  assert.deepEqual([id.brand, id.model, id.firmware], ['snom', 'snomD120', '10.1.39.11']);
});

test('provisioning URL shape per brand', () => {
  const o = { base: 'http://{ip}:{port}/prov' };
  assert.equal(provisioningUrl(o, 'grandstream', '10.0.0.1', 8080), 'http://10.0.0.1:8080/prov/');
  assert.equal(provisioningUrl(o, 'yealink', '10.0.0.1', 8080), 'http://10.0.0.1:8080/prov/');
  assert.equal(provisioningUrl(o, 'snom', '10.0.0.1', 8080), 'http://10.0.0.1:8080/prov/{mac}.xml');
  assert.equal(provisioningUrl(o, 'panasonic', '10.0.0.1', 8080), 'http://10.0.0.1:8080/prov/{mac}.cfg');
  assert.equal(provisioningUrl(o, 'audiocodes', '10.0.0.1', 8080), 'http://10.0.0.1:8080/prov/');
  assert.equal(provisioningUrl({ ...o, perBrand: { fanvil: '{base}fanvil/' } }, 'fanvil', '10.0.0.2', 80), 'http://10.0.0.2:80/prov/fanvil/');
});
