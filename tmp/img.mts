import sharp from 'sharp';
const small = await sharp({ create: { width: 90, height: 90, channels: 3, noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).png().toBuffer();
const big = await sharp(small).resize(6300, 6300, { kernel: 'cubic' }).jpeg({ quality: 80 }).toBuffer();
console.log('jpeg', big.length);
const png = await sharp({ create: { width: 6300, height: 6300, channels: 3, background: { r: 240, g: 235, b: 220 } } }).composite([{ input: await sharp(small).resize(6300, 20).png().toBuffer(), top: 3000, left: 0 }]).png({ compressionLevel: 9 }).toBuffer();
console.log('png', png.length);
const p12 = await sharp(small).resize(4000, 3000, { kernel: 'cubic' }).jpeg({ quality: 85 }).withMetadata({ orientation: 6 }).toBuffer();
console.log('12mp', p12.length);
