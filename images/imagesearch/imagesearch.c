/*
 * imagesearch: find the pictures of a gallery that look like a query picture,
 * the second of the CloneCloud evaluation applications.
 *
 * Usage: imagesearch [small|medium|large]   (default medium)
 *
 * main() builds a synthetic gallery from a fixed xorshift seed: every picture
 * is stored compactly, the way a phone stores compressed photos, as a scene
 * (a background gradient and up to MAX_SHAPES rectangles and discs), and
 * pictures come in themes (variants of one base scene with shapes moved and
 * recoloured a little). The query is another variant of one theme, decoded
 * with sensor noise. search_gallery() does all the heavy work: it decodes
 * every picture to RGB pixels, computes features from the pixels (a 64-bin
 * colour histogram and a 2x2-cell, 8-orientation histogram of Sobel
 * gradients weighted by magnitude, both normalised), ranks the gallery by L1
 * distance to the query's features and prints the best matches. Integer
 * arithmetic only, so every machine prints the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SHAPES 12
#define THEMES 8
#define TOP 8
#define COLOUR_BINS 64
#define GRAD_BINS 32
#define FEATURES (COLOUR_BINS + GRAD_BINS)
#define NORM 65536

/* One compressed picture: everything needed to decode its pixels. */
struct scene {
    uint16_t theme;
    uint8_t bg_top[3], bg_bottom[3];
    uint8_t nshapes;
    struct {
        uint8_t disc;
        uint8_t x, y, w, h; /* in 1/256 of the picture's width and height */
        uint8_t rgb[3];
    } shape[MAX_SHAPES];
};

/* A gallery size: how many pictures and how large they decode. */
struct size {
    const char *name;
    int count, width, height;
};

static const struct size sizes[] = {
    {"small", 10, 48, 48},
    {"medium", 160, 112, 112},
    {"large", 640, 160, 160},
};

static uint32_t rng_state;

static uint32_t rng(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

static uint8_t jitter(uint8_t v, int spread)
{
    int r = (int)v + (int)(rng() % (2 * spread + 1)) - spread;
    return (uint8_t)(r < 0 ? 0 : r > 255 ? 255 : r);
}

static void base_scene(struct scene *s, int theme)
{
    s->theme = (uint16_t)theme;
    for (int c = 0; c < 3; c++) {
        s->bg_top[c] = (uint8_t)rng();
        s->bg_bottom[c] = (uint8_t)rng();
    }
    s->nshapes = (uint8_t)(4 + rng() % (MAX_SHAPES - 3));
    for (int i = 0; i < s->nshapes; i++) {
        s->shape[i].disc = rng() & 1;
        s->shape[i].x = (uint8_t)rng();
        s->shape[i].y = (uint8_t)rng();
        s->shape[i].w = (uint8_t)(24 + rng() % 96);
        s->shape[i].h = (uint8_t)(24 + rng() % 96);
        for (int c = 0; c < 3; c++) s->shape[i].rgb[c] = (uint8_t)rng();
    }
}

static void variant(struct scene *out, const struct scene *base)
{
    *out = *base;
    for (int c = 0; c < 3; c++) {
        out->bg_top[c] = jitter(base->bg_top[c], 12);
        out->bg_bottom[c] = jitter(base->bg_bottom[c], 12);
    }
    for (int i = 0; i < out->nshapes; i++) {
        out->shape[i].x = jitter(base->shape[i].x, 20);
        out->shape[i].y = jitter(base->shape[i].y, 20);
        out->shape[i].w = jitter(base->shape[i].w, 10);
        out->shape[i].h = jitter(base->shape[i].h, 10);
        for (int c = 0; c < 3; c++) out->shape[i].rgb[c] = jitter(base->shape[i].rgb[c], 16);
    }
}

/* Decode a scene into w*h RGB pixels; noise_seed != 0 adds sensor noise. */
static void decode(const struct scene *s, int w, int h, uint32_t noise_seed, uint8_t *px)
{
    for (int y = 0; y < h; y++) {
        uint8_t row[3];
        for (int c = 0; c < 3; c++) row[c] = (uint8_t)((s->bg_top[c] * (h - 1 - y) + s->bg_bottom[c] * y) / (h - 1));
        uint8_t *p = px + (size_t)y * w * 3;
        for (int x = 0; x < w; x++, p += 3) {
            p[0] = row[0];
            p[1] = row[1];
            p[2] = row[2];
        }
    }
    for (int i = 0; i < s->nshapes; i++) {
        int x0 = s->shape[i].x * w / 256, y0 = s->shape[i].y * h / 256;
        int sw = s->shape[i].w * w / 512 + 1, sh = s->shape[i].h * h / 512 + 1;
        int x1 = x0 + sw > w ? w : x0 + sw, y1 = y0 + sh > h ? h : y0 + sh;
        int cx = x0 + sw / 2, cy = y0 + sh / 2, rx = sw / 2 + 1, ry = sh / 2 + 1;
        for (int y = y0; y < y1; y++) {
            uint8_t *p = px + ((size_t)y * w + x0) * 3;
            for (int x = x0; x < x1; x++, p += 3) {
                if (s->shape[i].disc) {
                    /* Inside the ellipse: (dx/rx)^2 + (dy/ry)^2 <= 1, kept in integers. */
                    int dx = x - cx, dy = y - cy;
                    if ((int64_t)dx * dx * ry * ry + (int64_t)dy * dy * rx * rx > (int64_t)rx * rx * ry * ry) continue;
                }
                p[0] = s->shape[i].rgb[0];
                p[1] = s->shape[i].rgb[1];
                p[2] = s->shape[i].rgb[2];
            }
        }
    }
    if (noise_seed) {
        rng_state = noise_seed;
        for (size_t i = 0; i < (size_t)w * h * 3; i++) px[i] = jitter(px[i], 10);
    }
}

/* The orientation octant (0..7) of gradient (gx, gy). */
static int octant(int gx, int gy)
{
    int ax = gx < 0 ? -gx : gx, ay = gy < 0 ? -gy : gy;
    int o;
    if (gx >= 0 && gy >= 0)
        o = 0;
    else if (gx < 0 && gy >= 0)
        o = 2;
    else if (gx < 0)
        o = 4;
    else
        o = 6;
    /* Within a quadrant, the half nearer the next axis. */
    if ((o == 0 || o == 4) ? ay > ax : ax > ay) o++;
    return o;
}

static void features(const uint8_t *px, int w, int h, uint16_t *luma, uint32_t *out)
{
    uint64_t colour[COLOUR_BINS] = {0}, grad[GRAD_BINS] = {0};
    int n = w * h;
    for (int i = 0; i < n; i++) {
        const uint8_t *p = px + i * 3;
        colour[(p[0] >> 6) << 4 | (p[1] >> 6) << 2 | (p[2] >> 6)]++;
        luma[i] = (uint16_t)((77 * p[0] + 150 * p[1] + 29 * p[2]) >> 8);
    }
    uint64_t total = 0;
    for (int y = 1; y < h - 1; y++) {
        for (int x = 1; x < w - 1; x++) {
            const uint16_t *l = luma + y * w + x;
            int gx = (l[-w + 1] + 2 * l[1] + l[w + 1]) - (l[-w - 1] + 2 * l[-1] + l[w - 1]);
            int gy = (l[w - 1] + 2 * l[w] + l[w + 1]) - (l[-w - 1] + 2 * l[-w] + l[-w + 1]);
            int mag = (gx < 0 ? -gx : gx) + (gy < 0 ? -gy : gy);
            if (mag < 16) continue;
            int cell = (y * 2 / h) * 2 + x * 2 / w;
            grad[cell * 8 + octant(gx, gy)] += mag;
            total += mag;
        }
    }
    for (int b = 0; b < COLOUR_BINS; b++) out[b] = (uint32_t)(colour[b] * NORM / n);
    for (int b = 0; b < GRAD_BINS; b++) out[COLOUR_BINS + b] = total ? (uint32_t)(grad[b] * NORM / total) : 0;
}

static uint32_t distance(const uint32_t *a, const uint32_t *b)
{
    uint32_t d = 0;
    for (int i = 0; i < FEATURES; i++) d += a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];
    return d;
}

/*
 * The offloadable unit: decode the query and every picture of `gallery`,
 * compute their features, print the TOP nearest pictures and return how many
 * of them share the query's theme.
 */
__attribute__((noinline)) int search_gallery(const struct scene *gallery, int count, const struct scene *query, uint32_t query_noise,
                                             int width, int height)
{
    uint8_t *px = malloc((size_t)width * height * 3);
    uint16_t *luma = malloc((size_t)width * height * sizeof(uint16_t));
    uint32_t want[FEATURES], have[FEATURES];
    int best[TOP];
    uint32_t best_d[TOP];
    int found = 0;
    decode(query, width, height, query_noise, px);
    features(px, width, height, luma, want);
    for (int i = 0; i < count; i++) {
        decode(&gallery[i], width, height, 0, px);
        features(px, width, height, luma, have);
        uint32_t d = distance(want, have);
        /* Insertion into the sorted top list; ties keep the earlier picture first. */
        int at = found < TOP ? found : TOP;
        while (at > 0 && best_d[at - 1] > d) at--;
        if (at >= TOP) continue;
        int last = found < TOP ? found : TOP - 1;
        for (int j = last; j > at; j--) {
            best[j] = best[j - 1];
            best_d[j] = best_d[j - 1];
        }
        best[at] = i;
        best_d[at] = d;
        if (found < TOP) found++;
    }
    int same = 0;
    for (int j = 0; j < found; j++) {
        const struct scene *s = &gallery[best[j]];
        printf("match %d: picture %05d theme %d distance %u\n", j + 1, best[j], s->theme, best_d[j]);
        if (s->theme == query->theme) same++;
    }
    printf("imagesearch: pictures %d size %dx%d query theme %d same-theme matches %d/%d\n", count, width, height, query->theme, same, found);
    free(px);
    free(luma);
    return same;
}

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "medium";
    const struct size *sz = NULL;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (!strcmp(name, sizes[i].name)) sz = &sizes[i];
    if (!sz) {
        fprintf(stderr, "usage: imagesearch [small|medium|large]\n");
        return 2;
    }
    rng_state = 0x1a2b3c4du;
    struct scene bases[THEMES];
    for (int t = 0; t < THEMES; t++) base_scene(&bases[t], t);
    struct scene *gallery = malloc(sz->count * sizeof(struct scene));
    for (int i = 0; i < sz->count; i++) variant(&gallery[i], &bases[rng() % THEMES]);
    struct scene query;
    variant(&query, &bases[3]);
    search_gallery(gallery, sz->count, &query, 0x9e3779b9u, sz->width, sz->height);
    fflush(stdout);
    free(gallery);
    return 0;
}
