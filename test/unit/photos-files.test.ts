import {
	chooseFileName,
	ensureExtension,
	extensionForMimeType,
	fallbackFileName,
	fileNameFromContentDisposition,
	fileNameFromUrl,
	MAX_FILE_NAME_LENGTH,
	parseContentType,
	reserveUniqueFileName,
	resolveMimeType,
	sanitizeFileName,
	sniffImageMimeType,
} from '../../nodes/shared/photo-files';
import { jpegBytes, pngBytes } from '../helpers/photo-server';

const ascii = (text: string) => Buffer.from(text, 'latin1');

/** Builds an ISO base media `ftyp` box with the given major and compatible brands. */
function ftyp(major: string, compatible: string[]): Buffer {
	const size = 16 + compatible.length * 4;
	const box = Buffer.alloc(size);
	box.writeUInt32BE(size, 0);
	box.write('ftyp', 4, 'latin1');
	box.write(major, 8, 'latin1');
	compatible.forEach((brand, i) => box.write(brand, 16 + i * 4, 'latin1'));
	return box;
}

describe('sniffImageMimeType', () => {
	it.each([
		['JPEG', jpegBytes(), 'image/jpeg'],
		['PNG', pngBytes(), 'image/png'],
		['GIF87a', ascii('GIF87a\u0001\u0000'), 'image/gif'],
		['GIF89a', ascii('GIF89a\u0001\u0000'), 'image/gif'],
		[
			'WebP',
			Buffer.concat([ascii('RIFF'), Buffer.from([1, 2, 3, 4]), ascii('WEBPVP8 ')]),
			'image/webp',
		],
		['HEIC major brand', ftyp('heic', ['mif1', 'heic']), 'image/heic'],
		['HEIC compatible brand', ftyp('mif1', ['heix']), 'image/heic'],
		['HEIF', ftyp('mif1', ['mif1']), 'image/heif'],
	])('%s', (_, bytes, mimeType) => {
		expect(sniffImageMimeType(bytes)).toBe(mimeType);
	});

	it.each([
		['empty', Buffer.alloc(0)],
		['text', ascii('<html>not found</html>')],
		['short JPEG', Buffer.from([0xff, 0xd8])],
		['RIFF without WEBP', Buffer.concat([ascii('RIFF'), Buffer.alloc(4), ascii('WAVE')])],
		['MP4', ftyp('isom', ['mp41'])],
	])('%s is not an image', (_, bytes) => {
		expect(sniffImageMimeType(bytes)).toBeNull();
	});
});

describe('resolveMimeType', () => {
	it('keeps a specific Content-Type', () => {
		expect(resolveMimeType('image/png; charset=binary', jpegBytes())).toBe('image/png');
	});

	it('sniffs octet-stream', () => {
		expect(resolveMimeType('application/octet-stream', jpegBytes())).toBe('image/jpeg');
		expect(resolveMimeType('Binary/Octet-Stream', pngBytes())).toBe('image/png');
	});

	it('sniffs a missing Content-Type', () => {
		expect(resolveMimeType(undefined, jpegBytes())).toBe('image/jpeg');
		expect(resolveMimeType('', pngBytes())).toBe('image/png');
	});

	it('unknown bytes stay generic', () => {
		expect(resolveMimeType('application/octet-stream', ascii('hello'))).toBe(
			'application/octet-stream',
		);
	});
});

describe('parseContentType', () => {
	it.each([
		['image/JPEG', 'image/jpeg'],
		[' image/png ; q=1', 'image/png'],
		['nonsense', null],
		[42, null],
	])('%j', (header, type) => {
		expect(parseContentType(header)).toBe(type);
	});
});

describe('fileNameFromContentDisposition', () => {
	it.each([
		['attachment; filename="photo 1.jpg"', 'photo 1.jpg'],
		['inline; filename=photo.jpg', 'photo.jpg'],
		["attachment; filename*=UTF-8''%E2%82%AC%20rates.jpg", '€ rates.jpg'],
		['attachment; filename="fallback.jpg"; filename*=UTF-8\'\'Stra%C3%9Fe.jpg', 'Straße.jpg'],
		['attachment; filename*=utf-8\'de\'M%C3%BCnchen.png; filename="Muenchen.png"', 'München.png'],
		["attachment; filename*=iso-8859-1''caf%E9.jpg", 'café.jpg'],
		['attachment; filename="a\\"b.jpg"', 'a"b.jpg'],
		['attachment; filename="semi;colon.jpg"', 'semi;colon.jpg'],
		['attachment; FILENAME="upper.jpg"', 'upper.jpg'],
	])('%s', (header, name) => {
		expect(fileNameFromContentDisposition(header)).toBe(name);
	});

	it('falls back to filename when filename* is broken', () => {
		expect(
			fileNameFromContentDisposition('attachment; filename*=UTF-8\'\'%E2%82; filename="plain.jpg"'),
		).toBe('plain.jpg');
	});

	it.each([undefined, '', 'attachment', 'inline; name="x"', 'attachment; filename=""'])(
		'%j has no name',
		(header) => {
			expect(fileNameFromContentDisposition(header)).toBeNull();
		},
	);
});

describe('fileNameFromUrl', () => {
	it.each([
		['https://cdn.gokarla.io/a/photo.jpg?token=abc', 'photo.jpg'],
		['https://cdn.gokarla.io/a/Foto Tasse.jpg', 'Foto Tasse.jpg'],
		['https://cdn.gokarla.io/a/%C3%BC%20x.jpg', 'ü x.jpg'],
		['https://cdn.gokarla.io/a/%E0%A4%A.jpg', '%E0%A4%A.jpg'],
	])('%s', (url, name) => {
		expect(fileNameFromUrl(new URL(url))).toBe(name);
	});

	it('no name for a directory', () => {
		expect(fileNameFromUrl(new URL('https://cdn.gokarla.io/a/'))).toBeNull();
		expect(fileNameFromUrl(new URL('https://cdn.gokarla.io'))).toBeNull();
	});
});

describe('sanitizeFileName', () => {
	it.each([
		['../../etc/passwd', 'passwd'],
		['C:\\Users\\x\\photo.jpg', 'photo.jpg'],
		['bad<>:"|?*name.jpg', 'badname.jpg'],
		['tab\tand\nnewline.jpg', 'tab and newline.jpg'],
		['  .hidden.jpg. ', 'hidden.jpg'],
		['Foto Tasse.jpg', 'Foto Tasse.jpg'],
	])('%j', (name, safe) => {
		expect(sanitizeFileName(name)).toBe(safe);
	});

	it.each(['', '...', '/', '  '])('%j is unusable', (name) => {
		expect(sanitizeFileName(name)).toBeNull();
	});

	it('caps long names and keeps the extension', () => {
		const safe = sanitizeFileName(`${'ä'.repeat(300)}.jpeg`) ?? '';
		expect(Array.from(safe)).toHaveLength(MAX_FILE_NAME_LENGTH);
		expect(safe.endsWith('.jpeg')).toBe(true);
	});
});

describe('extensions', () => {
	it.each([
		['image/jpeg', 'jpg'],
		['image/png', 'png'],
		['image/webp', 'webp'],
		['image/gif', 'gif'],
		['image/heic', 'heic'],
		['application/octet-stream', 'bin'],
	])('%s', (mimeType, extension) => {
		expect(extensionForMimeType(mimeType)).toBe(extension);
	});

	it('adds a missing extension', () => {
		expect(ensureExtension('photo', 'image/png')).toBe('photo.png');
		expect(ensureExtension('photo.jpeg', 'image/png')).toBe('photo.jpeg');
		expect(ensureExtension('photo.', 'image/gif')).toBe('photo..gif');
	});
});

describe('fallbackFileName', () => {
	it('uses the claim id and photo number', () => {
		expect(fallbackFileName('5b7c9a02-3f1e', 2, 'image/jpeg')).toBe(
			'claim-5b7c9a02-3f1e-photo-2.jpg',
		);
	});

	it('makes the claim id safe', () => {
		expect(fallbackFileName('a/b c:ä', 1, 'image/png')).toBe('claim-a-b-c-photo-1.png');
	});
});

describe('chooseFileName', () => {
	const base = {
		contentDisposition: undefined,
		url: new URL('https://cdn.gokarla.io/claims/a/photo-1.jpg?sig=x'),
		claimId: 'c-1',
		photoNumber: 1,
		mimeType: 'image/jpeg',
	};

	it('Content-Disposition first', () => {
		expect(
			chooseFileName({ ...base, contentDisposition: 'attachment; filename="evidence.jpg"' }),
		).toBe('evidence.jpg');
	});

	it('then the URL path', () => {
		expect(chooseFileName(base)).toBe('photo-1.jpg');
	});

	it('then the fallback', () => {
		expect(chooseFileName({ ...base, url: new URL('https://cdn.gokarla.io/claims/a/') })).toBe(
			'claim-c-1-photo-1.jpg',
		);
	});

	it('adds the extension from the MIME type', () => {
		expect(
			chooseFileName({
				...base,
				url: new URL('https://cdn.gokarla.io/claims/a/3f9e2c'),
				mimeType: 'image/webp',
			}),
		).toBe('3f9e2c.webp');
	});

	it('unusable disposition name falls through to the URL', () => {
		expect(chooseFileName({ ...base, contentDisposition: 'attachment; filename="..."' })).toBe(
			'photo-1.jpg',
		);
	});
});

describe('reserveUniqueFileName', () => {
	it('numbers duplicates, ignoring letter case', () => {
		const taken = new Set<string>();
		expect(reserveUniqueFileName('photo.jpg', taken)).toBe('photo.jpg');
		expect(reserveUniqueFileName('photo.jpg', taken)).toBe('photo-2.jpg');
		expect(reserveUniqueFileName('PHOTO.jpg', taken)).toBe('PHOTO-3.jpg');
		expect(reserveUniqueFileName('photo-2.jpg', taken)).toBe('photo-2-2.jpg');
		expect(reserveUniqueFileName('readme', taken)).toBe('readme');
		expect(reserveUniqueFileName('readme', taken)).toBe('readme-2');
	});
});
