/** The Diffusion-GAN schedule and adaptive T now live in core/diffusion; this path re-exports them. */
export * from '../diffusion/diffusionGan';
